package io.falconmind.center.it.broker;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A raw MQTT socket (3.1.1 or 5), for bytes no client library sends. */
final class RawSocket implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawSocket(Socket socket) throws Exception {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  static RawSocket open(int port) throws Exception {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(5_000);
    return new RawSocket(s);
  }

  /** A socket with a small receive buffer, for a client that reads slowly or not at all. */
  static RawSocket openSmall(int port) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", port));
    s.setSoTimeout(5_000);
    return new RawSocket(s);
  }

  /** Subscribes (3.1.1 or 5 alike, QoS 0) and waits for the SUBACK. */
  void subscribe(String filter, boolean v5) throws Exception {
    byte[] body = concat(new byte[] {0, 1}, v5 ? new byte[] {0} : new byte[0]);
    send(packet(0x82, concat(concat(body, string(filter)), new byte[] {0})));
    if (readPacket(0x90) == null) throw new AssertionError("no SUBACK");
  }

  static byte[] string(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return concat(new byte[] {(byte) (b.length >> 8), (byte) b.length}, b);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static byte[] packet(int header, byte[] body) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(header);
    int length = body.length;
    do {
      int digit = length % 128;
      length /= 128;
      b.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    b.writeBytes(body);
    return b.toByteArray();
  }

  static byte[] connectPacket(String clientId) {
    return connectPacket(clientId, null, null);
  }

  static byte[] connectPacket(String clientId, String willTopic, String willMessage) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(string("MQTT"));
    b.write(4);
    b.write(0x02 | (willTopic == null ? 0 : 0x04 | 0x08));
    b.write(0);
    b.write(60);
    b.writeBytes(string(clientId));
    if (willTopic != null) {
      b.writeBytes(string(willTopic));
      b.writeBytes(string(willMessage));
    }
    return packet(0x10, b.toByteArray());
  }

  void connect311(String clientId, String willTopic, String willMessage) throws Exception {
    send(connectPacket(clientId, willTopic, willMessage));
    int type = in.read();
    if (type != 0x20) throw new AssertionError("expected CONNACK, got " + type);
    in.readNBytes(3);
  }

  /** An MQTT 5 CONNECT with a clean start and no properties. */
  static byte[] connect5Packet(String clientId) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(string("MQTT"));
    b.write(5);
    b.write(0x02);
    b.write(0);
    b.write(60);
    b.write(0);
    b.writeBytes(string(clientId));
    return packet(0x10, b.toByteArray());
  }

  /** An MQTT 5 QoS 0 PUBLISH with a topic alias ({@code topic} empty to use the alias alone). */
  static byte[] publish5WithAlias(String topic, int alias, String payload) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(string(topic));
    b.writeBytes(new byte[] {3, 0x23, (byte) (alias >> 8), (byte) alias});
    b.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
    return packet(0x30, b.toByteArray());
  }

  /** A QoS 1 PUBLISH (MQTT 5 with an empty property list when {@code v5}). */
  static byte[] publishQos1(String topic, int packetId, String payload, boolean v5) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(string(topic));
    b.write(packetId >> 8);
    b.write(packetId);
    if (v5) b.write(0);
    b.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
    return packet(0x32, b.toByteArray());
  }

  /** The packet id of the next PUBACK, skipping other packets; -1 when the connection ends first. */
  int pubackId() throws Exception {
    byte[] body = readPacket(0x40);
    return body == null ? -1 : (body[0] & 0xff) << 8 | body[1] & 0xff;
  }

  void connect5(String clientId) throws Exception {
    send(connect5Packet(clientId));
    byte[] connack = readPacket(0x20);
    if (connack == null || connack.length < 2 || connack[1] != 0) throw new AssertionError("CONNECT not accepted");
  }

  /**
   * The reason code of the DISCONNECT the server sends (0 when it has none), skipping other
   * packets; null when the connection closes without one or stays open.
   */
  Integer disconnectReason() throws Exception {
    byte[] body = readPacket(0xE0);
    if (body == null) return null;
    return body.length == 0 ? 0 : body[0] & 0xff;
  }

  /** The body of the next packet of {@code type} (first byte), skipping others; null at the end. */
  private byte[] readPacket(int type) throws Exception {
    try {
      while (true) {
        int header = in.read();
        if (header < 0) return null;
        int length = 0;
        for (int shift = 0, digit = 0x80; (digit & 0x80) != 0; shift += 7) {
          digit = in.read();
          if (digit < 0) return null;
          length |= (digit & 0x7f) << shift;
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) return null;
        if ((header & 0xf0) == type) return body;
      }
    } catch (SocketTimeoutException | java.net.SocketException closed) {
      return null;
    }
  }

  void send(byte[] bytes) throws Exception {
    try {
      out.write(bytes);
      out.flush();
    } catch (java.io.IOException closedWhileWriting) {
      // the server may close before all of a large packet is written
    }
  }

  boolean closedByServer() throws Exception {
    try {
      byte[] buf = new byte[4096];
      while (true) {
        if (in.read(buf) < 0) return true;
      }
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (java.io.IOException reset) {
      return true;
    }
  }

  @Override
  public void close() throws Exception {
    socket.close();
  }
}
