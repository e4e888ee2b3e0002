package io.falconmind.center.control;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a device must offer to run a mission. Every field is optional; an absent field constrains
 * nothing.
 */
public record Requirements(List<String> capabilities, String kind, Map<String, String> labels,
                           Double minBattery, Near near) {

  public static final Requirements NONE = new Requirements(List.of(), null, Map.of(), null, null);

  public Requirements {
    capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(labels));
  }

  /** A circle on the earth's surface: the device must report a position inside it. */
  public record Near(double lat, double lon, double radiusKm) {
    public JsonObject toJson() {
      return new JsonObject().put("lat", lat).put("lon", lon).put("radiusKm", radiusKm);
    }

    static Near fromJson(JsonObject json) {
      return json == null ? null
          : new Near(json.getDouble("lat"), json.getDouble("lon"), json.getDouble("radiusKm"));
    }
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (!capabilities.isEmpty()) json.put("capabilities", new JsonArray(List.copyOf(capabilities)));
    if (kind != null) json.put("kind", kind);
    if (!labels.isEmpty()) json.put("labels", new JsonObject(new LinkedHashMap<>(labels)));
    if (minBattery != null) json.put("minBattery", minBattery);
    if (near != null) json.put("near", near.toJson());
    return json;
  }

  public static Requirements fromJson(JsonObject json) {
    if (json == null || json.isEmpty()) return NONE;
    return new Requirements(Json.strings(json.getJsonArray("capabilities")), json.getString("kind"),
        Json.stringMap(json.getJsonObject("labels")), json.getDouble("minBattery"),
        Near.fromJson(json.getJsonObject("near")));
  }
}
