package io.falconmind.center.control;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Conversions between the control records and their JSON form (the API's and the store's). */
final class Json {
  private Json() {
  }

  static List<String> strings(JsonArray array) {
    if (array == null) return List.of();
    List<String> out = new ArrayList<>(array.size());
    for (Object o : array) out.add(String.valueOf(o));
    return out;
  }

  static Map<String, String> stringMap(JsonObject object) {
    if (object == null) return Map.of();
    Map<String, String> out = new LinkedHashMap<>();
    object.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    return out;
  }

  static String time(Long epochMillis) {
    return epochMillis == null ? null : Instant.ofEpochMilli(epochMillis).toString();
  }

  static Long time(String iso) {
    return iso == null ? null : Instant.parse(iso).toEpochMilli();
  }

  static void putTime(JsonObject json, String key, Long epochMillis) {
    if (epochMillis != null) json.put(key, time(epochMillis));
  }
}
