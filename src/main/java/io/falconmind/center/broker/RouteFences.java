package io.falconmind.center.broker;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The numbering of the publications routed from this node, and the fences that keep a moved
 * session's messages in order ({@link SessionMoves}). A fence for a session that moved from an
 * old node to a new one takes three steps, each an event-bus message in the stream of forwarded
 * publications between two nodes: the new node asks an origin for one ({@code ASK}); the origin,
 * alone on its routing lock, routes the session's filters to the new node from then on
 * ({@link #PIN_MS}) and sends the fence, with the number of its last publication, to the old node
 * ({@code PASS}) behind every earlier publication it sent there; the old node passes it on to the
 * new node ({@code DONE}) behind everything it passed on. Thread-safe.
 */
final class RouteFences {

  static final int KIND_FENCE_ASK = 4;
  static final int KIND_FENCE_PASS = 5;
  static final int KIND_FENCE_DONE = 6;
  /** How long an origin routes a moved session's filters to its new node, whatever the route table says. */
  private static final long PIN_MS = 20_000;

  private final Vertx vertx;
  private final String nodeId;
  /** The number of the last publication routed from this node. */
  private final AtomicLong published = new AtomicLong();
  /**
   * Held shared while a publication is numbered and sent on, alone while a fence is set: a fence
   * follows every publication numbered before it, and precedes every one numbered after.
   */
  private final ReentrantReadWriteLock routing = new ReentrantReadWriteLock();
  /** Routes a fence set for a while (node to filter), on top of the route table. */
  private final SubscriptionTree pinned;
  private final Map<String, Integer> pinCounts = new HashMap<>();
  private volatile boolean anyPinned;

  RouteFences(Vertx vertx, String nodeId, SubscriptionTree.SharedStrategy strategy) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.pinned = new SubscriptionTree(strategy);
  }

  /**
   * Numbers {@code p} as the next publication from this node and hands it to {@code send} (which
   * routes it) under the routing lock, so that no fence comes between the two.
   */
  <T> T route(Publication p, Function<Publication, T> send) {
    routing.readLock().lock();
    try {
      return send.apply(p.routedFrom(nodeId, published.incrementAndGet()));
    } finally {
      routing.readLock().unlock();
    }
  }

  /** The nodes a fence routes {@code p} to, whatever the route table says. */
  List<String> pinnedNodes(Publication p) {
    if (!anyPinned) return List.of();
    List<String> nodes = new ArrayList<>(1);
    for (SubscriptionTree.Match m : pinned.match(p.topic(), p.publisher(), n -> true)) nodes.add(m.clientId());
    return nodes;
  }

  /**
   * Asks node {@code origin} for a fence of the session of {@code clientId}, which moved here from
   * {@code old} with subscriptions to {@code filters}; {@link BrokerCluster.Delivery#fenced} hears of it.
   */
  void ask(String origin, String clientId, String old, List<String> filters) {
    Buffer out = Buffer.buffer(64);
    out.appendByte((byte) KIND_FENCE_ASK);
    PublicationCodec.writeString(out, clientId);
    PublicationCodec.writeString(out, old);
    PublicationCodec.writeString(out, nodeId);
    out.appendInt(filters.size());
    for (String f : filters) PublicationCodec.writeString(out, f);
    // never from inside the caller (which may be routing a publication here), even to this node
    vertx.getOrCreateContext().runOnContext(v -> vertx.eventBus().send(BrokerCluster.address(origin), out));
  }

  /** Takes the step of a fence that reached this node, as the origin, the old node or the new one. */
  Future<Void> onFence(int kind, PublicationCodec.Reader in, BrokerCluster.Delivery deliver) {
    String clientId = in.string();
    if (kind == KIND_FENCE_DONE) {
      String origin = in.string();
      deliver.fenced(clientId, origin, in.i64());
      return Future.succeededFuture();
    }
    if (kind == KIND_FENCE_PASS) {
      // everything the origin sent this node before the fence has been passed on already
      String origin = in.string();
      long upTo = in.i64();
      sendFence(in.string(), clientId, origin, upTo);
      return Future.succeededFuture();
    }
    String old = in.string();
    String requester = in.string();
    int n = SessionCodec.count(in.i32());
    List<String> filters = new ArrayList<>(n);
    for (int i = 0; i < n; i++) filters.add(in.string());
    routing.writeLock().lock();
    try {
      pin(requester, filters);
      long upTo = published.get();
      if (old.equals(nodeId)) {
        // what this node published was passed on as it was routed
        sendFence(requester, clientId, nodeId, upTo);
      } else {
        Buffer out = Buffer.buffer(64).appendByte((byte) KIND_FENCE_PASS);
        PublicationCodec.writeString(out, clientId);
        PublicationCodec.writeString(out, nodeId);
        out.appendLong(upTo);
        PublicationCodec.writeString(out, requester);
        vertx.eventBus().send(BrokerCluster.address(old), out);
      }
    } finally {
      routing.writeLock().unlock();
    }
    return Future.succeededFuture();
  }

  private void sendFence(String requester, String clientId, String origin, long upTo) {
    Buffer out = Buffer.buffer(64).appendByte((byte) KIND_FENCE_DONE);
    PublicationCodec.writeString(out, clientId);
    PublicationCodec.writeString(out, origin);
    out.appendLong(upTo);
    vertx.eventBus().send(BrokerCluster.address(requester), out);
  }

  /** Routes {@code filters} to {@code node} for {@link #PIN_MS}, whatever the route table says meanwhile. */
  private void pin(String node, List<String> filters) {
    if (filters.isEmpty()) return;
    synchronized (pinCounts) {
      for (String f : filters) {
        if (pinCounts.merge(node + BrokerCluster.SEP + f, 1, Integer::sum) == 1) {
          pinned.subscribe(node, new Subscription(f, null, 2, false, true, 0, 0));
        }
      }
      anyPinned = true;
    }
    vertx.setTimer(PIN_MS, id -> {
      synchronized (pinCounts) {
        for (String f : filters) {
          String key = node + BrokerCluster.SEP + f;
          Integer n = pinCounts.get(key);
          if (n == null) continue;
          if (n > 1) {
            pinCounts.put(key, n - 1);
          } else {
            pinCounts.remove(key);
            pinned.unsubscribe(node, f, null);
          }
        }
        anyPinned = !pinCounts.isEmpty();
      }
    });
  }

}
