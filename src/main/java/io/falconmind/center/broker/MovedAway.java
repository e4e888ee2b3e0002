package io.falconmind.center.broker;

import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The sessions that moved from this node to another, by client id: for a while their
 * subscriptions stay routed here (other nodes may route to this one until they learn the new
 * node's routes), and what still reaches this node for them is passed on to where they went.
 * Thread-safe.
 */
final class MovedAway {

  private record Moved(String node, List<Subscription> subscriptions) {
  }

  private final Vertx vertx;
  private final long graceMs;
  private final BiConsumer<String, Subscription> forget;
  private final Map<String, Moved> moved = new ConcurrentHashMap<>();

  /**
   * @param graceMs how long the routes of a session that moved stay
   * @param forget  what unroutes one of its subscriptions here
   */
  MovedAway(Vertx vertx, long graceMs, BiConsumer<String, Subscription> forget) {
    this.vertx = vertx;
    this.graceMs = graceMs;
    this.forget = forget;
  }

  /** The session of {@code clientId}, subscribed to {@code subscriptions}, moved to {@code node}. */
  void record(String clientId, String node, List<Subscription> subscriptions) {
    settle(clientId);
    Moved m = new Moved(node, subscriptions);
    moved.put(clientId, m);
    vertx.setTimer(graceMs, id -> {
      if (moved.remove(clientId, m)) forget(clientId, m);
    });
  }

  /** The node the session of {@code clientId} moved to; null when it did not (lately). */
  String node(String clientId) {
    Moved m = moved.get(clientId);
    return m == null ? null : m.node();
  }

  /**
   * Takes the record of {@code clientId}'s session: its subscriptions stay routed here, for the
   * caller to keep or forget. Null when there is none.
   */
  List<Subscription> take(String clientId) {
    Moved m = moved.remove(clientId);
    return m == null ? null : m.subscriptions();
  }

  /** A session of {@code clientId} starts here again: the routes of the one that moved away go now. */
  void settle(String clientId) {
    Moved m = moved.remove(clientId);
    if (m != null) forget(clientId, m);
  }

  private void forget(String clientId, Moved m) {
    for (Subscription s : m.subscriptions()) forget.accept(clientId, s);
  }
}
