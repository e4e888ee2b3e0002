package io.falconmind.center.it;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client of one node's event feed ({@code /api/v1/feed}) that records every frame
 * it receives and the close code, for tests that watch what a node publishes. Thread-safe reads.
 */
final class FeedClient implements AutoCloseable {

  /** Held for the connection's lifetime: Vert.x closes the connections of a client that is no longer referenced. */
  private final WebSocketClient client;
  private final WebSocket ws;
  private final List<JsonObject> frames;
  private final List<Integer> closed;

  private FeedClient(WebSocketClient client, WebSocket ws, List<JsonObject> frames, List<Integer> closed) {
    this.client = client;
    this.ws = ws;
    this.frames = frames;
    this.closed = closed;
  }

  /** Opens the feed with {@code query} (e.g. {@code ?types=device.&deviceId=d1}) and waits for the handshake. */
  static FeedClient open(Vertx vertx, TestNode node, String query) {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    List<Integer> closed = new CopyOnWriteArrayList<>();
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      // Handlers are attached on the connection's context as it completes, before any frame is read.
      WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
              .setPort(node.httpPort).setURI("/api/v1/feed" + query)
              .addHeader("Authorization", "Bearer " + node.node.adminToken()))
          .map(w -> {
            w.textMessageHandler(t -> frames.add(new JsonObject(t)));
            w.closeHandler(v -> closed.add((int) w.closeStatusCode()));
            return w;
          }).await(20, TimeUnit.SECONDS);
      return new FeedClient(client, ws, frames, closed);
    } catch (Exception e) {
      client.close();
      throw new IllegalStateException("feed " + query + " did not open", e);
    }
  }

  List<JsonObject> frames() {
    return frames;
  }

  /** Frames of the given event type. */
  List<JsonObject> ofType(String type) {
    return frames.stream().filter(f -> type.equals(f.getString("type"))).toList();
  }

  List<Integer> closed() {
    return closed;
  }

  @Override
  public void close() {
    ws.close().eventually(() -> client.close());
  }
}
