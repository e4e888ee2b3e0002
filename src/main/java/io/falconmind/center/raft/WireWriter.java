package io.falconmind.center.raft;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Appends values in the control plane's compact binary form to a {@link Buffer}; {@link WireReader}
 * reads them back in the same order. One writer writes one frame (a message, a snapshot) and is
 * then dropped: it remembers the strings and the last time it wrote, so that a repeated string
 * costs one or two bytes and a time close to the previous one a byte or three. Not thread-safe.
 *
 * <p>Forms: unsigned values are LEB128 varints (a negative value still round-trips, in ten bytes);
 * signed values are zig-zag varints; a string is a varint then its UTF-8 bytes, or a varint that
 * refers to a string written earlier in the frame (or to null); a collection is its size plus one
 * (0 is null) then its elements.
 */
public final class WireWriter {

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
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    writeUnsigned((long) utf8.length << 1);
    buffer.appendBytes(utf8);
    return this;
  }

  /** An enum constant by its ordinal, or null; constants of a written enum may only be appended. */
  public WireWriter writeEnum(Enum<?> value) {
    return writeUnsigned(value == null ? 0 : value.ordinal() + 1);
  }

  /** A JSON object, or null, as its JSON text. */
  public WireWriter writeJson(JsonObject value) {
    return writeNullableString(value == null ? null : value.encode());
  }

  /** A block of raw bytes, or null. */
  public WireWriter writeBytes(Buffer value) {
    if (value == null) return writeUnsigned(0);
    writeUnsigned(value.length() + 1L);
    buffer.appendBuffer(value);
    return this;
  }

  public WireWriter writeStrings(Collection<String> values) {
    return writeList(values, WireWriter::writeString);
  }

  public WireWriter writeStringMap(Map<String, String> values) {
    if (values == null) return writeUnsigned(0);
    writeUnsigned(values.size() + 1L);
    values.forEach((k, v) -> writeString(k).writeNullableString(v));
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
}
