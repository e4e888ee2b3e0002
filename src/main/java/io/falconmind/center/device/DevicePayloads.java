package io.falconmind.center.device;

import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Command.StatusReport;
import io.falconmind.center.control.Command.UpdateProfile;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validation of the device-to-center payloads of protocol v1. Pure and thread-safe: each method
 * either returns the value to act on or throws {@link DeviceProtocolException} naming the field and
 * the rule it breaks. Nothing is checked against the control state here (unknown mission, attempt
 * not open): the state machine refuses those.
 */
public final class DevicePayloads {

  static final int MAX_NAME = 64;
  static final int MAX_CAPABILITIES = 256;
  static final int MAX_LABELS = 64;
  static final int MAX_LABEL_VALUE = 256;
  static final int MAX_CAPACITY = 10_000;

  private DevicePayloads() {
  }

  /** The payload as a JSON object; refuses oversized payloads, invalid UTF-8/JSON and non-objects. */
  public static JsonObject object(Buffer payload, int maxBytes) {
    if (payload.length() > maxBytes) {
      throw new DeviceProtocolException(DeviceProtocolException.PAYLOAD_TOO_LARGE,
          "payload of " + payload.length() + " bytes exceeds the limit of " + maxBytes + " bytes");
    }
    Object value;
    try {
      value = Buffer.buffer(payload.getBytes()).toJsonValue();
    } catch (DecodeException | IllegalArgumentException e) {
      throw new DeviceProtocolException(DeviceProtocolException.MALFORMED_JSON, "payload is not valid JSON");
    }
    if (!(value instanceof JsonObject)) {
      throw new DeviceProtocolException(DeviceProtocolException.MALFORMED_JSON, "payload must be a JSON object");
    }
    return (JsonObject) value;
  }

  /**
   * {@code devices/{id}/profile}: {@code kind} string (required), {@code capabilities} [strings],
   * {@code capacity} integer 1..10000 (default 1), {@code specs} object, {@code labels}
   * {string: string}.
   */
  public static UpdateProfile profile(String deviceId, JsonObject json, long at) {
    String kind = name(json, "kind", true);
    List<String> capabilities = new ArrayList<>();
    JsonArray caps = optional(json, "capabilities", JsonArray.class, "an array of strings");
    if (caps != null) {
      if (caps.size() > MAX_CAPABILITIES) invalid("capabilities", "at most " + MAX_CAPABILITIES + " entries");
      for (Object c : caps) {
        if (!(c instanceof String s) || s.isEmpty() || s.length() > MAX_NAME) {
          invalid("capabilities", "every entry must be a non-empty string of at most " + MAX_NAME + " characters");
        }
        capabilities.add((String) c);
      }
    }
    Integer capacity = integer(json, "capacity", 1, MAX_CAPACITY, false);
    JsonObject specs = optional(json, "specs", JsonObject.class, "an object");
    JsonObject labelsJson = optional(json, "labels", JsonObject.class, "an object of strings");
    Map<String, String> labels = new LinkedHashMap<>();
    if (labelsJson != null) {
      if (labelsJson.size() > MAX_LABELS) invalid("labels", "at most " + MAX_LABELS + " labels");
      for (Map.Entry<String, Object> e : labelsJson) {
        if (e.getKey().isEmpty() || e.getKey().length() > MAX_NAME) {
          invalid("labels", "keys must be non-empty strings of at most " + MAX_NAME + " characters");
        }
        if (!(e.getValue() instanceof String v) || v.length() > MAX_LABEL_VALUE) {
          invalid("labels." + e.getKey(), "must be a string of at most " + MAX_LABEL_VALUE + " characters");
        }
        labels.put(e.getKey(), (String) e.getValue());
      }
    }
    return new UpdateProfile(deviceId, kind, List.copyOf(capabilities), capacity == null ? 1 : capacity,
        specs == null ? new JsonObject() : specs.copy(), labels, at);
  }

  /**
   * {@code devices/{id}/telemetry}: all fields optional; {@code battery}, {@code cpu}, {@code mem}
   * numbers 0-100, {@code lat} -90..90, {@code lon} -180..180, {@code alt} a number; any other
   * field passes as is. Returns the {@link DeviceSignals#TELEMETRY} body.
   */
  public static JsonObject telemetry(String deviceId, JsonObject json, long at) {
    number(json, "battery", 0, 100);
    number(json, "cpu", 0, 100);
    number(json, "mem", 0, 100);
    number(json, "lat", -90, 90);
    number(json, "lon", -180, 180);
    number(json, "alt", -Double.MAX_VALUE, Double.MAX_VALUE);
    return json.copy().put("deviceId", deviceId).put("at", at);
  }

  /**
   * {@code devices/{id}/missions/{missionId}/status}: {@code attempt} integer ≥ 1 and
   * {@code status} (ACCEPTED, REJECTED, RUNNING, SUCCEEDED, FAILED) required; {@code progress}
   * integer 0-100, {@code result} object, {@code error} {code string, message string, retryable
   * boolean} optional.
   */
  public static StatusReport status(String deviceId, String missionId, JsonObject json) {
    Integer attempt = integer(json, "attempt", 1, Integer.MAX_VALUE, true);
    Object rawStatus = json.getValue("status");
    if (rawStatus == null) missing("status");
    AttemptStatus status;
    try {
      status = AttemptStatus.valueOf((String) rawStatus);
    } catch (ClassCastException | IllegalArgumentException e) {
      throw new DeviceProtocolException(DeviceProtocolException.INVALID_FIELD,
          "status: must be one of ACCEPTED, REJECTED, RUNNING, SUCCEEDED, FAILED");
    }
    Integer progress = integer(json, "progress", 0, 100, false);
    JsonObject result = optional(json, "result", JsonObject.class, "an object");
    JsonObject error = optional(json, "error", JsonObject.class, "an object");
    if (error != null) {
      Object code = error.getValue("code");
      Object message = error.getValue("message");
      Object retryable = error.getValue("retryable");
      if (code == null) missing("error.code");
      if (!(code instanceof String) || ((String) code).isEmpty()) invalid("error.code", "must be a non-empty string");
      if (message == null) missing("error.message");
      if (!(message instanceof String)) invalid("error.message", "must be a string");
      if (retryable != null && !(retryable instanceof Boolean)) invalid("error.retryable", "must be a boolean");
      error = new JsonObject().put("code", code).put("message", message)
          .put("retryable", retryable != null && (Boolean) retryable);
    }
    return new StatusReport(missionId, deviceId, attempt, status, progress,
        result == null ? null : result.copy(), error);
  }

  private static String name(JsonObject json, String field, boolean required) {
    Object v = json.getValue(field);
    if (v == null) {
      if (required) missing(field);
      return null;
    }
    if (!(v instanceof String s) || s.isEmpty() || s.length() > MAX_NAME) {
      invalid(field, "must be a non-empty string of at most " + MAX_NAME + " characters");
      return null;
    }
    return s;
  }

  private static Integer integer(JsonObject json, String field, long min, long max, boolean required) {
    Object v = json.getValue(field);
    if (v == null) {
      if (required) missing(field);
      return null;
    }
    if (!(v instanceof Integer || v instanceof Long)) invalid(field, "must be an integer");
    long n = ((Number) v).longValue();
    if (n < min || n > max) invalid(field, "must be between " + min + " and " + max);
    return (int) n;
  }

  private static void number(JsonObject json, String field, double min, double max) {
    Object v = json.getValue(field);
    if (v == null) return;
    if (!(v instanceof Number n)) {
      invalid(field, "must be a number");
      return;
    }
    double d = n.doubleValue();
    if (Double.isNaN(d) || d < min || d > max) {
      invalid(field, min == -Double.MAX_VALUE ? "must be a finite number" : "must be between " + fmt(min) + " and " + fmt(max));
    }
  }

  private static <T> T optional(JsonObject json, String field, Class<T> type, String what) {
    Object v = json.getValue(field);
    if (v == null) return null;
    if (!type.isInstance(v)) invalid(field, "must be " + what);
    return type.cast(v);
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  private static void missing(String field) {
    throw new DeviceProtocolException(DeviceProtocolException.MISSING_FIELD, field + ": is required");
  }

  private static void invalid(String field, String rule) {
    throw new DeviceProtocolException(DeviceProtocolException.INVALID_FIELD, field + ": " + rule);
  }
}
