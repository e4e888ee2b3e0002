package io.falconmind.center.raft;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes this node has recently heard from. Every node publishes a small status record on
 * {@link #ADDRESS} every {@link #PERIOD_MS}; a node not heard from for the expiry is absent. Keyed
 * by Raft endpoint (node id plus incarnation), so a restarted node is a new entry. Not thread-safe:
 * used on the Raft verticle's context.
 */
final class Presence {

  static final String ADDRESS = "center.cluster.presence";
  static final long PERIOD_MS = 500;

  private record Entry(JsonObject info, long seenNanos) {
  }

  private final Map<String, Entry> entries = new HashMap<>();
  private final long expiryNanos;

  Presence(long expiryMs) {
    this.expiryNanos = expiryMs * 1_000_000L;
  }

  /** Records {@code info}; true when its endpoint was not known before. */
  boolean heard(JsonObject info, long nowNanos) {
    String endpoint = info.getString("endpoint");
    return endpoint != null && entries.put(endpoint, new Entry(info, nowNanos)) == null;
  }

  void forgetNode(String nodeId) {
    entries.values().removeIf(e -> nodeId.equals(e.info().getString("nodeId")));
  }

  /** Records of the nodes heard from within the expiry, oldest entries dropped. */
  List<JsonObject> alive(long nowNanos) {
    entries.values().removeIf(e -> nowNanos - e.seenNanos() > 10 * expiryNanos);
    List<JsonObject> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (nowNanos - e.seenNanos() <= expiryNanos) out.add(e.info());
    }
    return out;
  }

  JsonObject get(String endpoint, long nowNanos) {
    Entry e = entries.get(endpoint);
    return e == null || nowNanos - e.seenNanos() > expiryNanos ? null : e.info();
  }

  boolean endpointAlive(String endpoint, long nowNanos) {
    return get(endpoint, nowNanos) != null;
  }

  boolean nodeAlive(String nodeId, long nowNanos) {
    for (Entry e : entries.values()) {
      if (nodeId.equals(e.info().getString("nodeId")) && nowNanos - e.seenNanos() <= expiryNanos) return true;
    }
    return false;
  }
}
