package io.falconmind.center.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * SHA-256 of the canonical form of a submitted JSON body: object keys sorted, no whitespace,
 * numbers in their shortest exact decimal form (so {@code 50}, {@code 50.0} and {@code 5e1} are one
 * number). Two submissions with the same meaning hash the same however their JSON was written;
 * that is how a retry is told apart from a different request reusing an idempotency key.
 */
public final class RequestHash {

  private RequestHash() {
  }

  /** Hex SHA-256 of {@link #canonical(Object)}. */
  public static String of(JsonObject body) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical(body).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  public static String canonical(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value);
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  private static void write(StringBuilder sb, Object value) {
    if (value instanceof JsonObject o) value = o.getMap();
    if (value instanceof JsonArray a) value = a.getList();
    if (value == null) {
      sb.append("null");
    } else if (value instanceof Map<?, ?> map) {
      List<String> keys = new ArrayList<>();
      for (Object k : map.keySet()) keys.add(String.valueOf(k));
      Collections.sort(keys);
      sb.append('{');
      boolean first = true;
      for (String k : keys) {
        if (!first) sb.append(',');
        first = false;
        string(sb, k);
        sb.append(':');
        write(sb, ((Map<String, Object>) map).get(k));
      }
      sb.append('}');
    } else if (value instanceof List<?> list) {
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) sb.append(',');
        write(sb, list.get(i));
      }
      sb.append(']');
    } else if (value instanceof Number n) {
      sb.append(number(n));
    } else if (value instanceof Boolean b) {
      sb.append(b);
    } else {
      string(sb, value.toString());
    }
  }

  private static String number(Number n) {
    if (n instanceof Double d && (d.isNaN() || d.isInfinite())) return "null";
    if (n instanceof Float f && (f.isNaN() || f.isInfinite())) return "null";
    BigDecimal exact = n instanceof BigDecimal bd ? bd : new BigDecimal(n.toString());
    if (exact.signum() == 0) return "0";
    return exact.stripTrailingZeros().toPlainString();
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
      }
    }
    sb.append('"');
  }
}
