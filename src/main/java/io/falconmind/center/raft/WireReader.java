package io.falconmind.center.raft;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads, in order, what a {@link WireWriter} wrote into a part of a {@link Buffer}. Input comes from
 * other nodes and is not trusted: a truncated or corrupt frame ends in an
 * {@link IllegalArgumentException} saying what was malformed and where, before any allocation larger
 * than the bytes that remain. Not thread-safe; one reader reads one frame.
 */
public final class WireReader {

  private final Buffer buffer;
  private final int end;
  private final List<String> strings = new ArrayList<>();
  private int pos;
  private long lastTime;

  /** A reader of the whole buffer. */
  public WireReader(Buffer buffer) {
    this(buffer, 0, buffer.length());
  }

  /** A reader of the bytes from {@code start} (inclusive) to {@code end} (exclusive). */
  public WireReader(Buffer buffer, int start, int end) {
    if (start < 0 || end < start || end > buffer.length()) {
      throw new IllegalArgumentException("bad range " + start + ".." + end + " of " + buffer.length() + " bytes");
    }
    this.buffer = buffer;
    this.pos = start;
    this.end = end;
  }

  public int position() {
    return pos;
  }

  public int remaining() {
    return end - pos;
  }

  /** Fails unless every byte has been read: trailing bytes mean a corrupt or misread frame. */
  public void expectEnd() {
    if (pos != end) throw malformed(remaining() + " unread bytes");
  }

  /** An {@link IllegalArgumentException} naming the problem and the position it was found at. */
  public IllegalArgumentException malformed(String problem) {
    return new IllegalArgumentException("malformed frame at byte " + pos + ": " + problem);
  }

  /** The next byte, 0..255. */
  public int readByte() {
    if (pos >= end) throw malformed("truncated");
    return buffer.getUnsignedByte(pos++);
  }

  public boolean readBoolean() {
    int b = readByte();
    if (b > 1) throw malformed("boolean " + b);
    return b == 1;
  }

  /** What {@link WireWriter#writeUnsigned} wrote. */
  public long readUnsignedLong() {
    long value = 0;
    for (int shift = 0; ; shift += 7) {
      int b = readByte();
      // the tenth byte holds the 64th bit only
      if (shift == 63 && b > 1) throw malformed("varint overflows 64 bits");
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) return value;
    }
  }

  /** What {@link WireWriter#writeUnsigned} wrote, refused unless it fits an int. */
  public int readUnsignedInt() {
    return toInt(readUnsignedLong());
  }

  /** What {@link WireWriter#writeSigned} wrote. */
  public long readSignedLong() {
    long v = readUnsignedLong();
    return (v >>> 1) ^ -(v & 1);
  }

  /** What {@link WireWriter#writeSigned} wrote, refused unless it fits an int. */
  public int readSignedInt() {
    return toInt(readSignedLong());
  }

  public double readDouble() {
    need(8);
    double value = buffer.getDouble(pos);
    pos += 8;
    return value;
  }

  /** What {@link WireWriter#writeTime} wrote. */
  public long readTime() {
    lastTime += readSignedLong();
    return lastTime;
  }

  /** A non-null string: null here means a corrupt frame. */
  public String readString() {
    String value = readNullableString();
    if (value == null) throw malformed("null where a string is required");
    return value;
  }

  /** What {@link WireWriter#writeNullableString} wrote: a string, or null. */
  public String readNullableString() {
    long header = readUnsignedLong();
    if ((header & 1) == 1) {
      long ref = header >>> 1;
      if (ref == 0) return null;
      if (ref > strings.size()) throw malformed("reference to string " + ref + " of " + strings.size());
      return strings.get((int) ref - 1);
    }
    int form = (int) (header >>> 1) & 3;
    long length = header >>> 3;
    String value = switch (form) {
      case WireWriter.TEXT -> readUtf8(boundedLength(length, 1));
      case WireWriter.HEX -> readHex(length);
      case WireWriter.UUID -> {
        if (length != 0) throw malformed("UUID with length " + length);
        String hex = readHex(32);
        yield hex.substring(0, 8) + '-' + hex.substring(8, 12) + '-' + hex.substring(12, 16) + '-'
            + hex.substring(16, 20) + '-' + hex.substring(20);
      }
      default -> throw malformed("unknown string form " + form);
    };
    strings.add(value);
    return value;
  }

  /** An enum constant, or null, by the ordinal {@link WireWriter#writeEnum} wrote. */
  public <E extends Enum<E>> E readEnum(E[] constants) {
    long v = readUnsignedLong();
    if (v == 0) return null;
    if (v > constants.length) {
      throw malformed("no constant " + (v - 1) + " in " + constants[0].getDeclaringClass().getSimpleName());
    }
    return constants[(int) v - 1];
  }

  /** What {@link WireWriter#writeJson} wrote: a JSON object, or null. */
  public JsonObject readJson() {
    int tag = readByte();
    if (tag == WireWriter.JSON_NULL) return null;
    if (tag != WireWriter.JSON_OBJECT) throw malformed("JSON value of type " + tag + " where an object belongs");
    return readJsonObject(1);
  }

  /** A block of raw bytes, or null, as a slice of the frame's buffer (not a copy). */
  public Buffer readBytes() {
    long v = readUnsignedLong();
    if (v == 0) return null;
    int length = boundedLength(v - 1, 1);
    Buffer block = buffer.slice(pos, pos + length);
    pos += length;
    return block;
  }

  /** A list of strings, or null; unmodifiable. */
  public List<String> readStrings() {
    return readList(WireReader::readString);
  }

  /** A map of strings, or null, in the order written. */
  public Map<String, String> readStringMap() {
    long v = readUnsignedLong();
    if (v == 0) return null;
    int size = boundedLength(v - 1, 2);
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) map.put(readString(), readString());
    return map;
  }

  /** A list, or null, each element read by {@code element}; unmodifiable. */
  public <T> List<T> readList(Function<WireReader, T> element) {
    long v = readUnsignedLong();
    if (v == 0) return null;
    int size = boundedLength(v - 1, 1);
    List<T> list = new ArrayList<>(size);
    for (int i = 0; i < size; i++) list.add(element.apply(this));
    return Collections.unmodifiableList(list);
  }

  /** What {@link WireWriter#writeNullable} wrote. */
  public <T> T readNullable(Function<WireReader, T> present) {
    return readBoolean() ? present.apply(this) : null;
  }

  // ---- strings -------------------------------------------------------------------------------

  private String readUtf8(int length) {
    String value = buffer.getString(pos, pos + length, StandardCharsets.UTF_8.name());
    pos += length;
    return value;
  }

  /** {@code digits} lowercase hex digits packed two a byte. */
  private String readHex(long digits) {
    int bytes = boundedLength((digits + 1) / 2, 1);
    StringBuilder sb = new StringBuilder(bytes * 2);
    for (int i = 0; i < digits; i++) {
      int b = buffer.getUnsignedByte(pos + i / 2);
      sb.append(Character.forDigit(i % 2 == 0 ? b >>> 4 : b & 15, 16));
    }
    pos += bytes;
    return sb.toString();
  }

  // ---- JSON ----------------------------------------------------------------------------------

  private Object readJsonValue(int depth) {
    int tag = readByte();
    return switch (tag) {
      case WireWriter.JSON_NULL -> null;
      case WireWriter.JSON_FALSE -> Boolean.FALSE;
      case WireWriter.JSON_TRUE -> Boolean.TRUE;
      case WireWriter.JSON_INT -> readSignedInt();
      case WireWriter.JSON_LONG -> readSignedLong();
      case WireWriter.JSON_DOUBLE -> readDouble();
      case WireWriter.JSON_STRING -> readString();
      case WireWriter.JSON_OBJECT -> readJsonObject(depth + 1);
      case WireWriter.JSON_ARRAY -> readJsonArray(depth + 1);
      case WireWriter.JSON_TEXT -> readJsonText();
      default -> throw malformed("unknown JSON value type " + tag);
    };
  }

  private JsonObject readJsonObject(int depth) {
    checkDepth(depth);
    int size = boundedLength(readUnsignedLong(), 2);
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) map.put(readString(), readJsonValue(depth));
    return new JsonObject(map);
  }

  private JsonArray readJsonArray(int depth) {
    checkDepth(depth);
    int size = boundedLength(readUnsignedLong(), 1);
    List<Object> list = new ArrayList<>(size);
    for (int i = 0; i < size; i++) list.add(readJsonValue(depth));
    return new JsonArray(list);
  }

  private Object readJsonText() {
    int at = pos;
    String text = readString();
    try {
      return Json.decodeValue(text);
    } catch (DecodeException e) {
      throw new IllegalArgumentException("malformed frame at byte " + at + ": not JSON", e);
    }
  }

  private void checkDepth(int depth) {
    if (depth > WireWriter.MAX_BINARY_JSON_DEPTH) {
      throw malformed("binary JSON nested deeper than " + WireWriter.MAX_BINARY_JSON_DEPTH);
    }
  }

  // ---- bounds --------------------------------------------------------------------------------

  /**
   * Checks a length or count read from the frame against the bytes left, given that each unit takes
   * at least {@code minBytes}: a bogus length fails here instead of allocating.
   */
  private int boundedLength(long count, int minBytes) {
    if (count < 0 || count > remaining() / minBytes) {
      throw malformed("length " + count + " exceeds the " + remaining() + " remaining bytes");
    }
    return (int) count;
  }

  private void need(int bytes) {
    if (remaining() < bytes) throw malformed("truncated");
  }

  private int toInt(long value) {
    if (value != (int) value) throw malformed("value " + value + " out of int range");
    return (int) value;
  }
}
