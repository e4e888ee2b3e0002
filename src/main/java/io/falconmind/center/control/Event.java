package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

/**
 * What applying a command changed, numbered by {@code seq}, which follows the log and never goes
 * backwards. Carries the new version of the mission and/or device it concerns.
 *
 * @param revoke set when the center ended an attempt the device still holds: {@code deviceId},
 *               {@code attempt}, {@code reason}; the node holding the device tells it to stop
 */
public record Event(long seq, String type, long at, Mission mission, Device device,
                    JsonObject detail, JsonObject revoke) {

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
}
