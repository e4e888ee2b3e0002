package io.falconmind.center.api;

import io.vertx.core.json.JsonObject;

/**
 * Where a feed session writes: a WebSocket or a Server-Sent Events response. Called on the
 * connection's event loop only.
 */
interface FeedSink {

  void send(FeedEntry entry);

  /** Whether the transport's own write buffer is full; the session then queues instead. */
  boolean writeQueueFull();

  void drainHandler(Runnable handler);

  /** Called once when the client goes away. */
  void closeHandler(Runnable handler);

  /**
   * Sends a final {@code feed.error} frame and closes.
   *
   * @param wsCode WebSocket close code (1008 policy, 1011 server error, 1013 try again later)
   */
  void fail(JsonObject error, int wsCode);
}
