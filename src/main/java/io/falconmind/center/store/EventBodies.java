package io.falconmind.center.store;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * How an event's JSON is kept in the events table: raw DEFLATE at the fastest level. Every event
 * carries the whole mission it changed, so the log is mostly repeated keys and values; compressed,
 * PostgreSQL writes (and fsyncs) a fraction of the bytes, which is what bounds the store's
 * throughput. Stateless and thread-safe; encoding runs on the store's worker threads.
 */
final class EventBodies {

  private EventBodies() {
  }

  /** @param eventJson the event's JSON text ({@code Event#encoded()}) */
  static Buffer encode(String eventJson) {
    byte[] json = eventJson.getBytes(StandardCharsets.UTF_8);
    Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);
    try {
      deflater.setInput(json);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 2 + 16);
      byte[] chunk = new byte[Math.max(256, json.length / 2)];
      while (!deflater.finished()) {
        int n = deflater.deflate(chunk);
        out.write(chunk, 0, n);
      }
      return Buffer.buffer(out.toByteArray());
    } finally {
      deflater.end();
    }
  }

  /** The event's JSON; fails with {@link IllegalStateException} for a body that is not ours. */
  static JsonObject decode(Buffer body) {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(body.getBytes());
      ByteArrayOutputStream out = new ByteArrayOutputStream(body.length() * 4);
      byte[] chunk = new byte[Math.max(1024, body.length() * 3)];
      while (!inflater.finished()) {
        int n = inflater.inflate(chunk);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new IllegalStateException("truncated event body");
        }
        out.write(chunk, 0, n);
      }
      return new JsonObject(out.toString(StandardCharsets.UTF_8));
    } catch (DataFormatException e) {
      throw new IllegalStateException("corrupt event body: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }
}
