package io.falconmind.center.api;

import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/** The feed over a WebSocket: one JSON text frame per entry. */
final class WebSocketSink implements FeedSink {

  /** RFC 6455 limits the close reason to 123 bytes of UTF-8. */
  private static final int MAX_REASON_BYTES = 123;

  private final ServerWebSocket ws;

  WebSocketSink(ServerWebSocket ws) {
    this.ws = ws;
  }

  @Override
  public void send(FeedEntry entry) {
    // A client may go away between two events; its close handler ends the session.
    if (ws.isClosed()) return;
    ws.writeTextMessage(entry.text()).onFailure(gone -> { });
  }

  @Override
  public boolean writeQueueFull() {
    return ws.writeQueueFull();
  }

  @Override
  public void drainHandler(Runnable handler) {
    ws.drainHandler(v -> handler.run());
  }

  @Override
  public void closeHandler(Runnable handler) {
    ws.closeHandler(v -> handler.run());
  }

  @Override
  public void fail(JsonObject error, int wsCode) {
    if (ws.isClosed()) return;
    ws.writeTextMessage(error.encode());
    ws.close((short) wsCode, reason(error.getString("code") + ": " + error.getString("detail")));
  }

  static String reason(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) return text;
    String cut = text;
    while (cut.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) cut = cut.substring(0, cut.length() - 1);
    return cut;
  }
}
