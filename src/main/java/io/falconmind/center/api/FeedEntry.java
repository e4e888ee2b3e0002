package io.falconmind.center.api;

import io.falconmind.center.control.Event;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Objects;

/**
 * One frame of the feed. An event's text is the event's own (encoded once per node, shared with the
 * store) and taken only when a client needs the frame. Used on the HTTP verticle's context only.
 */
public final class FeedEntry {

  private final long seq;
  private final String type;
  private final String missionId;
  private final String deviceId;
  private final Event event;
  private final String text;

  /**
   * @param seq  the event's sequence number; -1 for a soft signal, which has none
   * @param text the JSON text sent to clients
   */
  public FeedEntry(long seq, String type, String missionId, String deviceId, String text) {
    this.seq = seq;
    this.type = type;
    this.missionId = missionId;
    this.deviceId = deviceId;
    this.event = null;
    this.text = Objects.requireNonNull(text);
  }

  private FeedEntry(Event event) {
    this.seq = event.seq();
    this.type = event.type();
    this.missionId = event.missionId();
    this.deviceId = event.deviceId();
    this.event = event;
    this.text = null;
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

  /** The JSON text of the frame. */
  public String text() {
    return text != null ? text : event.encoded();
  }

  @Override
  public String toString() {
    return "FeedEntry[" + seq + " " + type + "]";
  }
}
