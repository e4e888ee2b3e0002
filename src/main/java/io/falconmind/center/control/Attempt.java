package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

/** One try of a mission on one device. Immutable; a change yields a new record. */
public record Attempt(int number, String deviceId, long assignedAt, Long acceptedAt, Long startedAt,
                      Long endedAt, AttemptOutcome outcome, JsonObject error) {

  Attempt accepted(long at) {
    return new Attempt(number, deviceId, assignedAt, at, startedAt, endedAt, outcome, error);
  }

  Attempt started(long at) {
    return new Attempt(number, deviceId, assignedAt, acceptedAt == null ? at : acceptedAt, at, endedAt,
        outcome, error);
  }

  Attempt ended(long at, AttemptOutcome how, JsonObject why) {
    return new Attempt(number, deviceId, assignedAt, acceptedAt, startedAt, at, how, why);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("attempt", number).put("deviceId", deviceId);
    Json.putTime(json, "assignedAt", assignedAt);
    Json.putTime(json, "acceptedAt", acceptedAt);
    Json.putTime(json, "startedAt", startedAt);
    Json.putTime(json, "endedAt", endedAt);
    if (outcome != null) json.put("outcome", outcome.name());
    if (error != null) json.put("error", error);
    return json;
  }

  public static Attempt fromJson(JsonObject json) {
    String outcome = json.getString("outcome");
    return new Attempt(json.getInteger("attempt"), json.getString("deviceId"),
        Json.time(json.getString("assignedAt")), Json.time(json.getString("acceptedAt")),
        Json.time(json.getString("startedAt")), Json.time(json.getString("endedAt")),
        outcome == null ? null : AttemptOutcome.valueOf(outcome), json.getJsonObject("error"));
  }
}
