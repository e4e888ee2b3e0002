package io.falconmind.center.control;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A device as the control state holds it. Immutable, like {@link Mission}.
 *
 * @param tokenHash     salted hash of the device token ({@code salt$hex}); never shown by the API
 * @param nodeId        node that holds the device's MQTT session while online
 * @param activeMissions missions held by the device (ASSIGNED or RUNNING), derived from the missions
 */
public record Device(String id, String name, String tokenHash, String kind, List<String> capabilities,
                     int capacity, JsonObject specs, Map<String, String> labels, boolean online,
                     String nodeId, boolean draining, long registeredAt, long updatedAt,
                     Long connectedAt, Long disconnectedAt, List<String> activeMissions) {

  public Device {
    capabilities = List.copyOf(capabilities);
    labels = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(labels));
    activeMissions = List.copyOf(activeMissions);
  }

  static Device registered(String id, String name, Map<String, String> labels, String tokenHash,
                           long at) {
    return new Device(id, name, tokenHash, null, List.of(), 1, new JsonObject(), labels, false, null,
        false, at, at, null, null, List.of());
  }

  public boolean hasFreeCapacity() {
    return activeMissions.size() < capacity;
  }

  /**
   * The device's own description replaces kind, capabilities, capacity and specs; the labels it
   * reports are added over the existing ones, so labels the operator gave at registration stay
   * unless the device reports the same key.
   */
  Device withProfile(String newKind, List<String> caps, int cap, JsonObject newSpecs,
                     Map<String, String> reportedLabels, long at) {
    Map<String, String> merged = new LinkedHashMap<>(labels);
    merged.putAll(reportedLabels);
    return new Device(id, name, tokenHash, newKind, caps, cap, newSpecs, merged, online, nodeId,
        draining, registeredAt, at, connectedAt, disconnectedAt, activeMissions);
  }

  Device connected(String node, long at) {
    return new Device(id, name, tokenHash, kind, capabilities, capacity, specs, labels, true, node,
        draining, registeredAt, at, at, disconnectedAt, activeMissions);
  }

  Device disconnected(long at) {
    return new Device(id, name, tokenHash, kind, capabilities, capacity, specs, labels, false, null,
        draining, registeredAt, at, connectedAt, at, activeMissions);
  }

  Device draining(boolean drain, long at) {
    return new Device(id, name, tokenHash, kind, capabilities, capacity, specs, labels, online, nodeId,
        drain, registeredAt, at, connectedAt, disconnectedAt, activeMissions);
  }

  Device holding(String missionId) {
    List<String> next = new ArrayList<>(activeMissions);
    next.add(missionId);
    return withActive(next);
  }

  Device releasing(String missionId) {
    List<String> next = new ArrayList<>(activeMissions);
    next.remove(missionId);
    return withActive(next);
  }

  Device withActive(List<String> active) {
    return new Device(id, name, tokenHash, kind, capabilities, capacity, specs, labels, online, nodeId,
        draining, registeredAt, updatedAt, connectedAt, disconnectedAt, active);
  }

  /** The device as the REST API and the feed show it: no credentials. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", id);
    if (name != null) json.put("name", name);
    if (kind != null) json.put("kind", kind);
    json.put("capabilities", new JsonArray(new ArrayList<>(capabilities)))
        .put("capacity", capacity)
        .put("specs", specs == null ? new JsonObject() : specs)
        .put("labels", new JsonObject(new LinkedHashMap<>(labels)))
        .put("state", online ? "ONLINE" : "OFFLINE")
        .put("draining", draining);
    if (nodeId != null) json.put("nodeId", nodeId);
    json.put("activeMissions", new JsonArray(new ArrayList<>(activeMissions)));
    Json.putTime(json, "registeredAt", registeredAt);
    Json.putTime(json, "updatedAt", updatedAt);
    Json.putTime(json, "connectedAt", connectedAt);
    Json.putTime(json, "disconnectedAt", disconnectedAt);
    return json;
  }

  /** The stored form: the API form plus the token hash. */
  public JsonObject toStoredJson() {
    return toJson().put("tokenHash", tokenHash);
  }

  public static Device fromStoredJson(JsonObject json) {
    return new Device(json.getString("id"), json.getString("name"), json.getString("tokenHash"),
        json.getString("kind"), Json.strings(json.getJsonArray("capabilities")),
        json.getInteger("capacity", 1), json.getJsonObject("specs", new JsonObject()),
        Json.stringMap(json.getJsonObject("labels")), "ONLINE".equals(json.getString("state")),
        json.getString("nodeId"), json.getBoolean("draining", false),
        Json.time(json.getString("registeredAt")), Json.time(json.getString("updatedAt")),
        Json.time(json.getString("connectedAt")), Json.time(json.getString("disconnectedAt")),
        Json.strings(json.getJsonArray("activeMissions")));
  }
}
