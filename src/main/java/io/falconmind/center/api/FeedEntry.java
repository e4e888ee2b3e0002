package io.falconmind.center.api;

import io.falconmind.center.control.Event;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Objects;

/**
 * One frame of the feed. Its JSON text is encoded at most once, on first use, and shared by every
 * session that sends it; events no client asks for are never encoded. Used on the HTTP verticle's
 * context only.
 */
public final class FeedEntry {

  private final long seq;
  private final String type;
  private final String missionId;
  private final String deviceId;
  private Event event;
  private String text;

  /**
   * @param seq  the event's sequence number; -1 for a soft signal, which has none
   * @param text the JSON text sent to clients
   */
  public FeedEntry(long seq, String type, String missionId, String deviceId, String text) {
    this.seq = seq;
    this.type = type;
    this.missionId = missionId;
    this.deviceId = deviceId;
    this.text = Objects.requireNonNull(text);
  }

  private FeedEntry(Event event) {
    this.seq = event.seq();
    this.type = event.type();
    this.missionId = event.missionId();
    this.deviceId = event.deviceId();
    this.event = event;
  }

  public static FeedEntry of(Event event) {
    return new FeedEntry(event);
  }

  /** An event in the form of {@code Event#toJson()}, as the store returns it. */
  public static FeedEntry fromJson(JsonObject json) {
    return new FeedEntry(json.getLong("seq"), json.getString("type"), json.getString("missionId"),
        json.getString("deviceId"), json.encode());
  }

  /**
   * A soft signal (telemetry, progress): not replicated, no seq, marked {@code soft:true}; its
   * epoch-ms {@code at} is shown as an RFC 3339 time like the events'.
   */
  public static FeedEntry soft(String type, JsonObject signal) {
    JsonObject json = new JsonObject().put("type", type).put("soft", true).mergeIn(signal);
    json.put("type", type).put("soft", true);
    Object at = signal.getValue("at");
    if (at instanceof Number n) json.put("at", Instant.ofEpochMilli(n.longValue()).toString());
    return new FeedEntry(-1, type, signal.getString("missionId"), signal.getString("deviceId"), json.encode());
  }

  public long seq() {
    return seq;
  }

  public String type() {
    return type;
  }

  public String missionId() {
    return missionId;
  }

  public String deviceId() {
    return deviceId;
  }

  public boolean soft() {
    return seq < 0;
  }

  /** The JSON text of the frame, encoded on first use. */
  public String text() {
    if (text == null) {
      text = event.toJson().encode();
      event = null;
    }
    return text;
  }

  @Override
  public String toString() {
    return "FeedEntry[" + seq + " " + type + "]";
  }
}
