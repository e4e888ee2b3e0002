package io.falconmind.center.api;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The feed as Server-Sent Events: {@code id} is the event's seq (so {@code Last-Event-ID} resumes),
 * {@code event} its type, {@code data} its JSON on one line.
 */
final class SseSink implements FeedSink {

  private final HttpServerResponse response;

  SseSink(HttpServerResponse response) {
    this.response = response;
    response.setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no");
    response.write(": falconmind feed\n\n");
  }

  @Override
  public void send(FeedEntry entry) {
    StringBuilder sb = new StringBuilder(entry.text().length() + 64);
    if (!entry.soft()) sb.append("id: ").append(entry.seq()).append('\n');
    sb.append("event: ").append(entry.type()).append('\n').append("data: ").append(entry.text()).append("\n\n");
    response.write(sb.toString());
  }

  @Override
  public boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  @Override
  public void drainHandler(Runnable handler) {
    response.drainHandler(v -> handler.run());
  }

  @Override
  public void closeHandler(Runnable handler) {
    response.closeHandler(v -> handler.run());
  }

  @Override
  public void fail(JsonObject error, int wsCode) {
    if (response.ended() || response.closed()) return;
    response.write("event: feed.error\ndata: " + error.encode() + "\n\n");
    response.end();
  }
}
