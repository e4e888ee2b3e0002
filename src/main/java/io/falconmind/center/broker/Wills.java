package io.falconmind.center.broker;

import io.vertx.core.Vertx;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The will messages waiting out their delay after their client's connection closed, by client id:
 * each is published when its timer fires, unless it is taken first (the client came back, or its
 * session ended and publishes it at once). Thread-safe.
 */
final class Wills {

  private record Pending(Publication will, long timerId) {
  }

  private final Vertx vertx;
  private final Consumer<Publication> publish;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  /** @param publish where a will goes when its delay is over */
  Wills(Vertx vertx, Consumer<Publication> publish) {
    this.vertx = vertx;
    this.publish = publish;
  }

  /** Publishes {@code will} of {@code clientId} in {@code delaySec} seconds, replacing one waiting already. */
  void schedule(String clientId, Publication will, long delaySec) {
    long timer = vertx.setTimer(delaySec * 1000, id -> {
      Pending p = pending.get(clientId);
      if (p != null && p.timerId() == id && pending.remove(clientId, p)) publish.accept(p.will());
    });
    Pending old = pending.put(clientId, new Pending(will, timer));
    if (old != null) vertx.cancelTimer(old.timerId());
  }

  boolean pending(String clientId) {
    return pending.containsKey(clientId);
  }

  /** Takes the will waiting for {@code clientId} (it will not be published by its timer); null when none. */
  Publication take(String clientId) {
    Pending p = pending.remove(clientId);
    if (p == null) return null;
    vertx.cancelTimer(p.timerId());
    return p.will();
  }
}
