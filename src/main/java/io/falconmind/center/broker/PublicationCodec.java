package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * The binary form of a {@link Publication} between nodes and in the cluster's retained store:
 * topic, payload, QoS, RETAIN, expiry, publisher, the forwarded MQTT 5 properties, and its origin
 * node and number there. Pure; a
 * truncated or corrupt buffer fails with {@link IllegalArgumentException}.
 */
final class PublicationCodec {

  private static final int STRING = 1;
  private static final int INTEGER = 2;
  private static final int BINARY = 3;
  private static final int USER = 4;

  private PublicationCodec() {
  }

  /** A read position in a buffer. */
  static final class Reader {
    private final Buffer buffer;
    private int pos;

    Reader(Buffer buffer, int pos) {
      this.buffer = buffer;
      this.pos = pos;
    }

    int position() {
      return pos;
    }

    int u8() {
      need(1);
      return buffer.getUnsignedByte(pos++);
    }

    int i32() {
      need(4);
      int v = buffer.getInt(pos);
      pos += 4;
      return v;
    }

    long i64() {
      need(8);
      long v = buffer.getLong(pos);
      pos += 8;
      return v;
    }

    byte[] bytes() {
      int n = i32();
      if (n < 0) throw new IllegalArgumentException("negative length");
      need(n);
      byte[] b = buffer.getBytes(pos, pos + n);
      pos += n;
      return b;
    }

    String string() {
      int n = i32();
      if (n == -1) return null;
      if (n < 0) throw new IllegalArgumentException("negative length");
      need(n);
      String s = buffer.getString(pos, pos + n, "UTF-8");
      pos += n;
      return s;
    }

    /** Fails unless {@code n} more bytes are there to read. */
    void need(long n) {
      if (pos + n > buffer.length()) throw new IllegalArgumentException("truncated publication at byte " + pos);
    }
  }

  static void writeString(Buffer out, String s) {
    if (s == null) {
      out.appendInt(-1);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.appendInt(b.length).appendBytes(b);
  }

  static void write(Buffer out, Publication p) {
    writeString(out, p.topic());
    out.appendInt(p.payload().length()).appendBuffer(p.payload());
    out.appendByte((byte) (p.qos() | (p.retain() ? 0x10 : 0)));
    out.appendLong(p.expiresAt());
    writeString(out, p.publisher());
    var props = p.properties().listAll();
    int count = 0;
    for (MqttProperties.MqttProperty<?> ignored : props) count++;
    out.appendInt(count);
    for (MqttProperties.MqttProperty<?> prop : props) {
      out.appendByte((byte) prop.propertyId());
      if (prop instanceof MqttProperties.UserProperties users) {
        out.appendByte((byte) USER).appendInt(users.value().size());
        for (MqttProperties.StringPair pair : users.value()) {
          writeString(out, pair.key);
          writeString(out, pair.value);
        }
      } else if (prop.value() instanceof Integer i) {
        out.appendByte((byte) INTEGER).appendInt(i);
      } else if (prop.value() instanceof byte[] b) {
        out.appendByte((byte) BINARY).appendInt(b.length).appendBytes(b);
      } else {
        out.appendByte((byte) STRING);
        writeString(out, String.valueOf(prop.value()));
      }
    }
    writeString(out, p.origin());
    out.appendLong(p.seq());
  }

  static Buffer encode(Publication p) {
    Buffer out = Buffer.buffer(64 + p.payload().length());
    write(out, p);
    return out;
  }

  static Publication read(Reader in) {
    String topic = in.string();
    if (topic == null) throw new IllegalArgumentException("publication without topic");
    Buffer payload = Buffer.buffer(in.bytes());
    int flags = in.u8();
    long expiresAt = in.i64();
    String publisher = in.string();
    int count = in.i32();
    if (count < 0 || count > 10_000) throw new IllegalArgumentException("bad property count " + count);
    MqttProperties props = count == 0 ? MqttProperties.NO_PROPERTIES : new MqttProperties();
    for (int i = 0; i < count; i++) {
      int id = in.u8();
      int kind = in.u8();
      switch (kind) {
        case USER -> {
          int n = in.i32();
          MqttProperties.UserProperties users = new MqttProperties.UserProperties();
          for (int k = 0; k < n; k++) users.add(in.string(), in.string());
          props.add(users);
        }
        case INTEGER -> props.add(new MqttProperties.IntegerProperty(id, in.i32()));
        case BINARY -> props.add(new MqttProperties.BinaryProperty(id, in.bytes()));
        case STRING -> props.add(new MqttProperties.StringProperty(id, in.string()));
        default -> throw new IllegalArgumentException("bad property kind " + kind);
      }
    }
    String origin = in.string();
    long seq = in.i64();
    return new Publication(topic, payload, flags & 0x03, (flags & 0x10) != 0, props, expiresAt, publisher, origin, seq);
  }

  static Publication decode(Buffer in) {
    return read(new Reader(in, 0));
  }
}
