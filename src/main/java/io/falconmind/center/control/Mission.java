package io.falconmind.center.control;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A mission as the control state holds it. Immutable: the state machine replaces the record on
 * every change, so a record handed to another part (in an {@link Event}) never changes under it.
 * JSON members ({@code payload}, {@code result}, {@code error}) are shared and must be treated as
 * read-only.
 *
 * @param attempt   number of the current (or last) attempt; 0 before the first assignment
 * @param notBefore earliest time (epoch ms) of the next assignment: the retry backoff
 */
public record Mission(String id, String type, int priority, JsonObject payload,
                      Requirements requirements, int timeoutSec, int maxAttempts, Long deadline,
                      String idempotencyKey, MissionState state, String deviceId, int attempt,
                      List<Attempt> attempts, Integer progress, JsonObject result, JsonObject error,
                      long createdAt, long updatedAt, long notBefore, Long finishedAt) {

  public Mission {
    attempts = List.copyOf(attempts);
  }

  static Mission submitted(MissionSpec spec, long at) {
    return new Mission(spec.id(), spec.type(), spec.priority(), spec.payload(), spec.requirements(),
        spec.timeoutSec(), spec.maxAttempts(), spec.deadline(), spec.idempotencyKey(),
        MissionState.QUEUED, null, 0, List.of(), null, null, null, at, at, at, null);
  }

  /** The open attempt, or the last one when none is open; null before the first assignment. */
  public Attempt currentAttempt() {
    return attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
  }

  /** Whether an earlier attempt of this mission ran on the device. */
  public boolean triedOn(String device) {
    for (Attempt a : attempts) {
      if (a.deviceId().equals(device)) return true;
    }
    return false;
  }

  Mission assigned(String device, int number, long at) {
    List<Attempt> next = new ArrayList<>(attempts);
    next.add(new Attempt(number, device, at, null, null, null, null, null));
    return new Mission(id, type, priority, payload, requirements, timeoutSec, maxAttempts, deadline,
        idempotencyKey, MissionState.ASSIGNED, device, number, next, 0, null, null, createdAt, at,
        notBefore, null);
  }

  Mission withCurrentAttempt(Attempt replaced, MissionState newState, Integer newProgress, long at) {
    List<Attempt> next = new ArrayList<>(attempts);
    next.set(next.size() - 1, replaced);
    return new Mission(id, type, priority, payload, requirements, timeoutSec, maxAttempts, deadline,
        idempotencyKey, newState, deviceId, attempt, next, newProgress, result, error, createdAt, at,
        notBefore, finishedAt);
  }

  Mission progressed(int newProgress, long at) {
    return new Mission(id, type, priority, payload, requirements, timeoutSec, maxAttempts, deadline,
        idempotencyKey, state, deviceId, attempt, attempts, newProgress, result, error, createdAt, at,
        notBefore, finishedAt);
  }

  /** Back in the queue after an attempt that ended with {@code lastError}, not before {@code retryAt}. */
  Mission requeued(JsonObject lastError, long at, long retryAt) {
    return new Mission(id, type, priority, payload, requirements, timeoutSec, maxAttempts, deadline,
        idempotencyKey, MissionState.QUEUED, null, attempt, attempts, null, null, lastError, createdAt, at,
        retryAt, null);
  }

  Mission finished(MissionState end, JsonObject newResult, JsonObject newError, long at) {
    Integer p = end == MissionState.SUCCEEDED ? Integer.valueOf(100) : progress;
    return new Mission(id, type, priority, payload, requirements, timeoutSec, maxAttempts, deadline,
        idempotencyKey, end, deviceId, attempt, attempts, p, newResult, newError, createdAt, at,
        notBefore, at);
  }

  /** The mission as the REST API, the feed and the store show it. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id).put("type", type).put("priority", priority)
        .put("payload", payload == null ? new JsonObject() : payload)
        .put("requirements", requirements.toJson())
        .put("timeoutSec", timeoutSec).put("maxAttempts", maxAttempts);
    Json.putTime(json, "deadline", deadline);
    if (idempotencyKey != null) json.put("idempotencyKey", idempotencyKey);
    json.put("state", state.name());
    if (deviceId != null) json.put("deviceId", deviceId);
    json.put("attempt", attempt);
    JsonArray history = new JsonArray();
    for (Attempt a : attempts) history.add(a.toJson());
    json.put("attempts", history);
    if (progress != null) json.put("progress", progress);
    if (result != null) json.put("result", result);
    if (error != null) json.put("error", error);
    Json.putTime(json, "createdAt", createdAt);
    Json.putTime(json, "updatedAt", updatedAt);
    Json.putTime(json, "notBefore", notBefore);
    Json.putTime(json, "finishedAt", finishedAt);
    return json;
  }

  public static Mission fromJson(JsonObject json) {
    List<Attempt> history = new ArrayList<>();
    JsonArray arr = json.getJsonArray("attempts", new JsonArray());
    for (int i = 0; i < arr.size(); i++) history.add(Attempt.fromJson(arr.getJsonObject(i)));
    return new Mission(json.getString("id"), json.getString("type"), json.getInteger("priority"),
        json.getJsonObject("payload"), Requirements.fromJson(json.getJsonObject("requirements")),
        json.getInteger("timeoutSec"), json.getInteger("maxAttempts"),
        Json.time(json.getString("deadline")), json.getString("idempotencyKey"),
        MissionState.valueOf(json.getString("state")), json.getString("deviceId"),
        json.getInteger("attempt", 0), history, json.getInteger("progress"),
        json.getJsonObject("result"), json.getJsonObject("error"),
        Json.time(json.getString("createdAt")), Json.time(json.getString("updatedAt")),
        Json.time(json.getString("notBefore")), Json.time(json.getString("finishedAt")));
  }
}
