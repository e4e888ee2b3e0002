package io.falconmind.center.raft;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Appends values in the control plane's compact binary form to a {@link Buffer}; {@link WireReader}
 * reads them back in the same order. One writer writes one frame (a message, a snapshot) and is
 * then dropped: it remembers the strings and the last time it wrote, so that a repeated string
 * (an id, a JSON key) costs a byte or two and a time close to the previous one a byte or three.
 * Not thread-safe.
 *
 * <p>Forms: unsigned values are LEB128 varints (a negative value still round-trips, in ten bytes);
 * signed values are zig-zag varints; a string is a varint header then its UTF-8 bytes, or its
 * packed form when it is lowercase hex (a digest) or a UUID, or a header that refers to a string
 * written earlier in the frame (or to null); JSON is a tagged binary tree, not text; a collection is
 * its size plus one (0 is null) then its elements.
 */
public final class WireWriter {

  /**
   * JSON objects and arrays nested deeper than this are written as JSON text, so that reading
   * recurses no deeper than this whatever the frame says.
   */
  static final int MAX_BINARY_JSON_DEPTH = 32;

  static final int TEXT = 0;
  static final int HEX = 1;
  static final int UUID = 2;

  static final int JSON_NULL = 0;
  static final int JSON_FALSE = 1;
  static final int JSON_TRUE = 2;
  static final int JSON_INT = 3;
  static final int JSON_LONG = 4;
  static final int JSON_DOUBLE = 5;
  static final int JSON_STRING = 6;
  static final int JSON_OBJECT = 7;
  static final int JSON_ARRAY = 8;
  /** Any other value (a big number, a float, binary data) as the JSON text it would be sent as. */
  static final int JSON_TEXT = 9;

  private final Buffer buffer;
  private final Map<String, Integer> strings = new HashMap<>();
  private long lastTime;

  /** A writer that appends to a new buffer. */
  public WireWriter() {
    this(Buffer.buffer(256));
  }

  /** A writer that appends to {@code buffer}, after what it already holds. */
  public WireWriter(Buffer buffer) {
    this.buffer = buffer;
  }

  /** The buffer written to. */
  public Buffer buffer() {
    return buffer;
  }

  public WireWriter writeByte(int value) {
    buffer.appendByte((byte) value);
    return this;
  }

  public WireWriter writeBoolean(boolean value) {
    return writeByte(value ? 1 : 0);
  }

  /** A count, index or term: small non-negative values take one byte. */
  public WireWriter writeUnsigned(long value) {
    long v = value;
    while ((v & ~0x7FL) != 0) {
      buffer.appendByte((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    buffer.appendByte((byte) v);
    return this;
  }

  /** A value that may be negative: small magnitudes of either sign take one byte. */
  public WireWriter writeSigned(long value) {
    return writeUnsigned((value << 1) ^ (value >> 63));
  }

  public WireWriter writeDouble(double value) {
    buffer.appendDouble(value);
    return this;
  }

  /** An epoch-ms time, as its difference to the previous time of this frame. */
  public WireWriter writeTime(long epochMs) {
    writeSigned(epochMs - lastTime);
    lastTime = epochMs;
    return this;
  }

  /** A non-null string. */
  public WireWriter writeString(String value) {
    if (value == null) throw new NullPointerException("string is null");
    return writeNullableString(value);
  }

  public WireWriter writeNullableString(String value) {
    if (value == null) return writeUnsigned(1);
    Integer seen = strings.get(value);
    if (seen != null) return writeUnsigned(((long) seen << 1) | 1);
    strings.put(value, strings.size() + 1);
    int length = value.length();
    if (length == 36 && isUuid(value)) {
      writeHeader(UUID, 0);
      appendHex(value.replace("-", ""));
    } else if (length >= 8 && isHex(value)) {
      writeHeader(HEX, length);
      appendHex(value);
    } else {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      writeHeader(TEXT, utf8.length);
      buffer.appendBytes(utf8);
    }
    return this;
  }

  /** An enum constant by its ordinal, or null; constants of a written enum may only be appended. */
  public WireWriter writeEnum(Enum<?> value) {
    return writeUnsigned(value == null ? 0 : value.ordinal() + 1);
  }

  /**
   * A JSON object, or null. Integers, longs, doubles, strings, booleans, objects and arrays keep
   * their Java types; any other value (a float, a big number, binary data), and anything nested
   * very deep, reads back as what its JSON text decodes to.
   *
   * @throws IllegalArgumentException if a value has no JSON form
   */
  public WireWriter writeJson(JsonObject value) {
    writeJsonValue(value, 0);
    return this;
  }

  /** A block of raw bytes, or null. */
  public WireWriter writeBytes(Buffer value) {
    if (value == null) return writeUnsigned(0);
    writeUnsigned(value.length() + 1L);
    buffer.appendBuffer(value);
    return this;
  }

  /** A collection of non-null strings, or null. */
  public WireWriter writeStrings(Collection<String> values) {
    return writeList(values, WireWriter::writeString);
  }

  /** A map of non-null strings to non-null strings, or null. */
  public WireWriter writeStringMap(Map<String, String> values) {
    if (values == null) return writeUnsigned(0);
    writeUnsigned(values.size() + 1L);
    values.forEach((k, v) -> writeString(k).writeString(v));
    return this;
  }

  /** A collection, or null, each element written by {@code element}. */
  public <T> WireWriter writeList(Collection<T> values, BiConsumer<WireWriter, T> element) {
    if (values == null) return writeUnsigned(0);
    writeUnsigned(values.size() + 1L);
    for (T value : values) element.accept(this, value);
    return this;
  }

  /** A presence flag, then the value written by {@code present} if it is not null. */
  public <T> WireWriter writeNullable(T value, BiConsumer<WireWriter, T> present) {
    writeBoolean(value != null);
    if (value != null) present.accept(this, value);
    return this;
  }

  // ---- strings -------------------------------------------------------------------------------

  /**
   * Even header values are new strings: the form in the low two bits, the length above them (the
   * number of digits for hex; 0 for a UUID, whose length is fixed).
   */
  private void writeHeader(int form, int length) {
    writeUnsigned((((long) length << 2) | form) << 1);
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) return false;
    }
    return true;
  }

  /** The canonical form {@link java.util.UUID#toString()} writes: lowercase, dashes at 8, 13, 18, 23. */
  private static boolean isUuid(String s) {
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (c == '-') || !dash && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) return false;
    }
    return true;
  }

  /** Two hex digits a byte, the first in the high nibble; an odd last digit is padded with 0. */
  private void appendHex(String hex) {
    for (int i = 0; i < hex.length(); i += 2) {
      int high = Character.digit(hex.charAt(i), 16);
      int low = i + 1 < hex.length() ? Character.digit(hex.charAt(i + 1), 16) : 0;
      buffer.appendByte((byte) (high << 4 | low));
    }
  }

  // ---- JSON ----------------------------------------------------------------------------------

  private void writeJsonValue(Object value, int depth) {
    boolean container = value instanceof JsonObject || value instanceof Map || value instanceof JsonArray
        || value instanceof List;
    if (value == null) {
      writeByte(JSON_NULL);
    } else if (value instanceof Boolean b) {
      writeByte(b ? JSON_TRUE : JSON_FALSE);
    } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      writeByte(JSON_INT).writeSigned(((Number) value).longValue());
    } else if (value instanceof Long n) {
      writeByte(JSON_LONG).writeSigned(n);
    } else if (value instanceof Double d) {
      writeByte(JSON_DOUBLE).writeDouble(d);
    } else if (value instanceof String s) {
      writeByte(JSON_STRING).writeString(s);
    } else if (container && depth < MAX_BINARY_JSON_DEPTH) {
      if (value instanceof JsonObject o) writeJsonObject(o.getMap(), depth + 1);
      else if (value instanceof Map<?, ?> m) writeJsonObject(m, depth + 1);
      else if (value instanceof JsonArray a) writeJsonArray(a.getList(), depth + 1);
      else writeJsonArray((List<?>) value, depth + 1);
    } else {
      writeByte(JSON_TEXT).writeString(jsonText(value));
    }
  }

  private static String jsonText(Object value) {
    try {
      return Json.encode(value);
    } catch (EncodeException e) {
      throw new IllegalArgumentException("no JSON form for a " + value.getClass().getName(), e);
    }
  }

  private void writeJsonObject(Map<?, ?> map, int depth) {
    writeByte(JSON_OBJECT).writeUnsigned(map.size());
    for (Map.Entry<?, ?> e : map.entrySet()) {
      writeString(String.valueOf(e.getKey()));
      writeJsonValue(e.getValue(), depth);
    }
  }

  private void writeJsonArray(List<?> list, int depth) {
    writeByte(JSON_ARRAY).writeUnsigned(list.size());
    for (Object item : list) writeJsonValue(item, depth);
  }
}
