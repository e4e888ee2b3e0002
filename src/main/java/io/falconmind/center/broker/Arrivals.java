package io.falconmind.center.broker;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Messages that reach a node for a session it is still claiming from another node: they wait here
 * until the session arrives (or is known not to), each with what completes once it is safe.
 * Thread-safe.
 */
final class Arrivals {

  private static final Logger LOG = LoggerFactory.getLogger(Arrivals.class);
  /** How long a message waits for its session. */
  private static final long MAX_WAIT_MS = 30_000;

  /** A message waiting for its session, and what completes once it is safe there. */
  record Waiting(BrokerSession.Outgoing message, Promise<Void> safe) {
  }

  private record Arriving(long since, List<Waiting> messages) {
  }

  private final Map<String, Arriving> waiting = new HashMap<>();
  private final BrokerStats stats;

  Arrivals(BrokerStats stats) {
    this.stats = stats;
  }

  /** Keeps {@code out} for the session of {@code clientId}; completes once it is safe there. */
  Future<Void> hold(String clientId, BrokerSession.Outgoing out) {
    Promise<Void> safe = Promise.promise();
    synchronized (waiting) {
      waiting.computeIfAbsent(clientId, id -> new Arriving(System.currentTimeMillis(), new ArrayList<>()))
          .messages().add(new Waiting(out, safe));
    }
    return safe.future();
  }

  /** What waited for the session of {@code clientId}, taken (empty when nothing did). */
  List<Waiting> take(String clientId) {
    Arriving a;
    synchronized (waiting) {
      a = waiting.remove(clientId);
    }
    return a == null ? List.of() : a.messages();
  }

  /** Drops what waited for a session that does not carry on (a clean start, or none to hand over). */
  void drop(String clientId) {
    for (Waiting w : take(clientId)) {
      stats.dropped();
      w.safe().tryComplete();
    }
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
