package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

/**
 * What applying a command changed, numbered by {@code seq}, which follows the log and never goes
 * backwards. Carries the new version of the mission and/or device it concerns. Immutable; its JSON
 * text is encoded once, on first use, and shared by every part that needs it (store, feed), from
 * any thread.
 */
public final class Event {

  private final long seq;
  private final String type;
  private final long at;
  private final Mission mission;
  private final Device device;
  private final JsonObject detail;
  private final JsonObject revoke;
  private volatile String json;

  /**
   * @param revoke set when the center ended an attempt the device still holds: {@code deviceId},
   *               {@code attempt}, {@code reason}; the node holding the device tells it to stop
   */
  public Event(long seq, String type, long at, Mission mission, Device device, JsonObject detail,
               JsonObject revoke) {
    this.seq = seq;
    this.type = type;
    this.at = at;
    this.mission = mission;
    this.device = device;
    this.detail = detail;
    this.revoke = revoke;
  }

  public long seq() {
    return seq;
  }

  public String type() {
    return type;
  }

  public long at() {
    return at;
  }

  public Mission mission() {
    return mission;
  }

  public Device device() {
    return device;
  }

  public JsonObject detail() {
    return detail;
  }

  public JsonObject revoke() {
    return revoke;
  }

  public String missionId() {
    return mission == null ? null : mission.id();
  }

  public String deviceId() {
    if (device != null) return device.id();
    return mission == null ? null : mission.deviceId();
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("seq", seq).put("type", type).put("at", Json.time(at));
    if (mission != null) json.put("missionId", mission.id()).put("mission", mission.toJson());
    if (device != null) json.put("deviceId", device.id()).put("device", device.toJson());
    else if (mission != null && mission.deviceId() != null) json.put("deviceId", mission.deviceId());
    if (detail != null) json.put("detail", detail);
    if (revoke != null) json.put("revoke", revoke);
    return json;
  }

  /** {@link #toJson()} as text, encoded once. Racing first calls may both encode; they agree. */
  public String encoded() {
    String text = json;
    if (text == null) {
      text = toJson().encode();
      json = text;
    }
    return text;
  }

  @Override
  public String toString() {
    return "Event[" + seq + " " + type + "]";
  }
}
