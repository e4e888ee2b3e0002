package io.falconmind.center.broker;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Messages that reach a node for a session it is still claiming from another node: they wait here
 * until the session arrives (or is known not to), each with what completes once it is safe.
 * Thread-safe.
 */
final class Arrivals {

  private static final Logger LOG = LoggerFactory.getLogger(Arrivals.class);
  /** How long a message waits for its session. */
  private static final long MAX_WAIT_MS = 30_000;

  /**
   * A message waiting for its session, whether another node passed it on (as the node the session
   * moves from does), and what completes once it is safe there.
   */
  record Waiting(BrokerSession.Outgoing message, boolean fromOld, Promise<Void> safe) {
  }

  private record Arriving(long since, List<Waiting> messages) {
  }

  private final Map<String, Arriving> waiting = new HashMap<>();
  private final BrokerStats stats;

  Arrivals(BrokerStats stats) {
    this.stats = stats;
  }

  /**
   * Keeps {@code out} for the session of {@code clientId} if {@code claimed} (asked under the lock
   * that {@link #settle} holds) says its session is still awaited; completes once it is safe there.
   * Null, keeping nothing, when it is not awaited.
   */
  Future<Void> holdWhile(String clientId, BrokerSession.Outgoing out, boolean fromOld, BooleanSupplier claimed) {
    synchronized (waiting) {
      if (!claimed.getAsBoolean()) return null;
      Promise<Void> safe = Promise.promise();
      waiting.computeIfAbsent(clientId, id -> new Arriving(System.currentTimeMillis(), new ArrayList<>()))
          .messages().add(new Waiting(out, fromOld, safe));
      return safe.future();
    }
  }

  /**
   * The session of {@code clientId} is here: when {@code mine} says the wait is still the caller's
   * to end, hands what waited to {@code deliver} in the order it came and then runs {@code end}
   * (after which nothing more is held), all under the lock every hold takes, so that no message
   * that follows reaches the session before those that waited.
   */
  void settle(String clientId, BooleanSupplier mine, Consumer<Waiting> deliver, Runnable end) {
    synchronized (waiting) {
      if (!mine.getAsBoolean()) return;
      Arriving a = waiting.remove(clientId);
      if (a != null) a.messages().forEach(deliver);
      end.run();
    }
  }

  /** Drops a message that waited for a session that does not carry on (a clean start, or none to hand over). */
  void drop(Waiting w) {
    stats.dropped();
    w.safe().tryComplete();
  }

  /** Drops, as failed, what has waited longer than its session can take to arrive. */
  void expire(long now) {
    synchronized (waiting) {
      waiting.entrySet().removeIf(e -> {
        if (now - e.getValue().since() < MAX_WAIT_MS) return false;
        e.getValue().messages().forEach(w -> {
          stats.dropped();
          w.safe().tryFail("the session of " + e.getKey() + " never arrived");
        });
        LOG.warn("{} messages for the session of '{}' dropped: the session never arrived",
            e.getValue().messages().size(), e.getKey());
        return true;
      });
    }
  }
}
