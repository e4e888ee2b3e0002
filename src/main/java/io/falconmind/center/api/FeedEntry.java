package io.falconmind.center.api;

import io.falconmind.center.control.Event;
import io.vertx.core.json.JsonObject;

/**
 * One frame of the feed, encoded once and shared by every session that sends it.
 *
 * @param seq  the event's sequence number; -1 for a soft signal, which has none
 * @param text the JSON text sent to clients
 */
public record FeedEntry(long seq, String type, String missionId, String deviceId, String text) {

  public boolean soft() {
    return seq < 0;
  }

  public static FeedEntry of(Event event) {
    return new FeedEntry(event.seq(), event.type(), event.missionId(), event.deviceId(), event.toJson().encode());
  }

  /** An event in the form of {@code Event#toJson()}, as the store returns it. */
  public static FeedEntry fromJson(JsonObject json) {
    return new FeedEntry(json.getLong("seq"), json.getString("type"), json.getString("missionId"),
        json.getString("deviceId"), json.encode());
  }

  /** A soft signal (telemetry, progress): not replicated, no seq, marked {@code soft:true}. */
  public static FeedEntry soft(String type, JsonObject signal) {
    JsonObject json = new JsonObject().put("type", type).put("soft", true).mergeIn(signal);
    json.put("type", type).put("soft", true);
    return new FeedEntry(-1, type, signal.getString("missionId"), signal.getString("deviceId"), json.encode());
  }
}
