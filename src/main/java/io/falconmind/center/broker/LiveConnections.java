package io.falconmind.center.broker;

import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live connection of each client id on this node: a connection that connects with the same
 * client id replaces the one before and closes it. Thread-safe.
 */
public final class LiveConnections {

  /** A client's live connection, as the broker needs to take it over. */
  public interface Live {
    Context context();

    /** Closes the connection because the same client id connected again; runs on {@link #context()}. */
    Future<Void> takeOver();
  }

  private final Map<String, Live> live = new ConcurrentHashMap<>();

  /**
   * Records {@code connection} as the live one of {@code clientId}; completes once the one it
   * replaces, if any, is closed (its will handled).
   */
  Future<Void> replace(String clientId, Live connection) {
    Live previous = live.put(clientId, connection);
    return previous == null || previous == connection ? Future.succeededFuture() : close(previous);
  }

  /** Forgets the live connection of {@code clientId} and closes it; completes once it is closed. */
  Future<Void> closeAndForget(String clientId) {
    Live connection = live.remove(clientId);
    return connection == null ? Future.succeededFuture() : close(connection);
  }

  /** Forgets {@code connection} as the live one of {@code clientId}, if it still is. */
  void forget(String clientId, Live connection) {
    live.remove(clientId, connection);
  }

  boolean has(String clientId) {
    return live.containsKey(clientId);
  }

  private static Future<Void> close(Live connection) {
    return Future.<Void>future(p -> connection.context().runOnContext(v -> connection.takeOver().onComplete(p)))
        .otherwiseEmpty();
  }
}
