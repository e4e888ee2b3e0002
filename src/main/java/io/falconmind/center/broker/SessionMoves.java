package io.falconmind.center.broker;

import io.falconmind.center.mqtt.TopicFilter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The order and uniqueness of what reaches a session that just moved to this node from another
 * (the old node), while publications still reach it both ways: straight from the node where they
 * were published (their origin), and through the old node, which passes on what it still gets for
 * the client.
 *
 * <p>A message from the old node goes in at once, unless the same publication is in already. A
 * message straight from an origin waits until that origin is fenced: asked once, the origin routes
 * the session's filters to this node from then on, and sends a fence along the way its earlier
 * publications took, through the old node, which passes it on here. Once the fence is here,
 * everything the origin sent the old way before it is in, in the origin's order; what waited
 * follows, less what came the old way already or the session took in before it moved (the client
 * had those: its acknowledgement took them out of the session, but the old node's record of what
 * the session took in lately came along); and from then on a copy from the old way of what
 * the session's ordinary subscriptions take is one this node also gets straight, so it is left
 * out (a shared subscription's message goes one way only). Thread-safe.
 */
final class SessionMoves {

  private static final Logger LOG = LoggerFactory.getLogger(SessionMoves.class);
  /** How long a fence is waited for before what waits for it goes in regardless (order then not sure). */
  private static final long FENCE_WAIT_MS = 5_000;

  /** Where a message goes in: the session here, or wherever it moved on to. */
  interface Sink {
    Future<Void> offer(String clientId, BrokerSession.Outgoing out);
  }

  /** Asks {@code origin} for a fence of {@code clientId}'s filters, through {@code old}. */
  interface Asker {
    void ask(String origin, String clientId, String old, List<String> filters);
  }

  private record Held(BrokerSession.Outgoing out, Promise<Void> safe) {
  }

  /** What this node knows of one origin's publications for a moved session. */
  private static final class Origin {
    /** Numbers of its publications that are in the session already, from the old node. */
    final Set<Long> in = new HashSet<>();
    /** What came straight from it while its fence is awaited; null when not asked (or fenced). */
    List<Held> held;
    /** The number of its last publication before the fence; -1 until the fence is here. */
    long fencedAt = -1;
  }

  private static final class Move {
    final String old;
    final List<String> filters;
    final Map<String, Origin> origins = new HashMap<>();
    boolean ended;

    Move(String old, List<String> filters) {
      this.old = old;
      this.filters = filters;
    }

    Origin origin(String node) {
      return origins.computeIfAbsent(node, n -> new Origin());
    }

    /** Whether a fence makes its origin send publications to {@code topic} here. */
    boolean fences(String topic) {
      for (String f : filters) {
        if (TopicFilter.matches(f, topic)) return true;
      }
      return false;
    }
  }

  private final Vertx vertx;
  private final long windowMs;
  private final Sink sink;
  private final Asker asker;
  private final Map<String, Move> moves = new ConcurrentHashMap<>();

  /**
   * @param windowMs how long after a move its messages are watched: longer than the old node passes
   *                 messages on
   */
  SessionMoves(Vertx vertx, long windowMs, Sink sink, Asker asker) {
    this.vertx = vertx;
    this.windowMs = windowMs;
    this.sink = sink;
    this.asker = asker;
  }

  /**
   * The session of {@code clientId} moved here from {@code old} with {@code owed} (the messages it
   * had not delivered yet, in it already), what it had {@code taken} in lately (by origin node: the
   * client had those or has them in {@code owed}) and its ordinary subscriptions' {@code filters}.
   */
  void begin(String clientId, String old, List<String> filters, List<BrokerSession.Outgoing> owed,
             Map<String, long[]> taken) {
    Move m = new Move(old, filters);
    for (BrokerSession.Outgoing o : owed) {
      Publication p = o.publication();
      if (p.origin() != null) m.origin(p.origin()).in.add(p.seq());
    }
    taken.forEach((origin, seqs) -> {
      Set<Long> in = m.origin(origin).in;
      for (long seq : seqs) in.add(seq);
    });
    Move earlier = moves.put(clientId, m);
    if (earlier != null) release(earlier, clientId);
    vertx.setTimer(windowMs, id -> end(clientId, m));
  }

  /**
   * Offers {@code out} to the moved session of {@code clientId}; {@code fromOld} when it came
   * through the node the session moved from. Completes once it is safe (or known to be in
   * already); null when the session is not watched, for the caller to offer it as usual.
   */
  Future<Void> offer(String clientId, BrokerSession.Outgoing out, boolean fromOld) {
    Move m = moves.get(clientId);
    Publication p = out.publication();
    if (m == null || p.origin() == null) return null;
    synchronized (m) {
      if (m.ended) return null;
      Origin o = m.origin(p.origin());
      if (fromOld) {
        // after the fence, the origin sends this node its own copy (of what an ordinary subscription takes)
        if (o.fencedAt >= 0 && p.seq() > o.fencedAt && m.fences(p.topic()) || !o.in.add(p.seq())) {
          return Future.succeededFuture();
        }
        return sink.offer(clientId, out);
      }
      if (o.fencedAt >= 0) return o.in.contains(p.seq()) ? Future.succeededFuture() : sink.offer(clientId, out);
      if (o.held == null) {
        o.held = new ArrayList<>();
        asker.ask(p.origin(), clientId, m.old, m.filters);
        vertx.setTimer(FENCE_WAIT_MS, id -> {
          if (fenced(clientId, m, p.origin(), Long.MAX_VALUE)) {
            LOG.warn("no fence from node {} for the session of '{}' within {} ms; what waited for it goes in now",
                p.origin(), clientId, FENCE_WAIT_MS);
          }
        });
      }
      Promise<Void> safe = Promise.promise();
      o.held.add(new Held(out, safe));
      return safe.future();
    }
  }

  /** The fence of {@code origin} for {@code clientId} arrived: its publications up to {@code upTo} came the old way. */
  void fenced(String clientId, String origin, long upTo) {
    Move m = moves.get(clientId);
    if (m != null) fenced(clientId, m, origin, upTo);
  }

  private boolean fenced(String clientId, Move m, String origin, long upTo) {
    synchronized (m) {
      Origin o = m.origins.get(origin);
      if (m.ended || o == null || o.fencedAt >= 0) return false;
      o.fencedAt = upTo;
      List<Held> held = o.held;
      o.held = null;
      if (held != null) {
        for (Held h : held) {
          if (o.in.contains(h.out().publication().seq())) h.safe().complete();
          else sink.offer(clientId, h.out()).onComplete(h.safe());
        }
      }
      return true;
    }
  }

  /**
   * The session of {@code clientId} leaves this node or ends: what waits for a fence goes in now
   * (to go where the session goes), and nothing more is watched.
   */
  void end(String clientId) {
    Move m = moves.remove(clientId);
    if (m != null) release(m, clientId);
  }

  private void end(String clientId, Move m) {
    if (moves.remove(clientId, m)) release(m, clientId);
  }

  private void release(Move m, String clientId) {
    synchronized (m) {
      m.ended = true;
      for (Origin o : m.origins.values()) {
        if (o.held == null) continue;
        for (Held h : o.held) sink.offer(clientId, h.out()).onComplete(h.safe());
        o.held = null;
      }
    }
  }

  /** How many sessions are watched (for tests and logs). */
  int size() {
    return moves.size();
  }
}
