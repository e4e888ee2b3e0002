package io.falconmind.center.it;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A bare MQTT 3.1.1 client over a socket, for what real clients refuse to do: stay silent past the
 * keep-alive, send wildcards in a PUBLISH topic, withhold a PUBACK. Blocking; test threads only.
 */
final class RawMqtt implements AutoCloseable {

  /** One packet from the server: first byte (type and flags) and body. */
  record Packet(int header, byte[] body) {
    int type() {
      return header >> 4;
    }

    boolean dup() {
      return (header & 0x08) != 0;
    }

    int packetId() {
      int topicLength = ((body[0] & 0xff) << 8) | (body[1] & 0xff);
      return ((body[2 + topicLength] & 0xff) << 8) | (body[3 + topicLength] & 0xff);
    }

    String topic() {
      int topicLength = ((body[0] & 0xff) << 8) | (body[1] & 0xff);
      return new String(body, 2, topicLength, StandardCharsets.UTF_8);
    }
  }

  static final int CONNACK = 2;
  static final int PUBLISH = 3;
  static final int SUBACK = 9;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawMqtt(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  static RawMqtt open(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(10_000);
    return new RawMqtt(s);
  }

  /** Sends CONNECT and returns the CONNACK body (session present, return code). */
  byte[] connect(String clientId, String username, String password, int keepAlive, boolean clean) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    string(b, "MQTT");
    b.write(4);
    b.write(0x80 | 0x40 | (clean ? 0x02 : 0));
    b.write(keepAlive >> 8);
    b.write(keepAlive & 0xff);
    string(b, clientId);
    string(b, username);
    string(b, password);
    send(0x10, b.toByteArray());
    Packet p = read();
    if (p.type() != CONNACK) throw new IOException("expected CONNACK, got " + p.type());
    return p.body();
  }

  void subscribe(int packetId, String filter, int qos) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(packetId >> 8);
    b.write(packetId & 0xff);
    string(b, filter);
    b.write(qos);
    send(0x82, b.toByteArray());
  }

  void publish(String topic, String payload) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    string(b, topic);
    b.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
    send(0x30, b.toByteArray());
  }

  void puback(int packetId) throws IOException {
    send(0x40, new byte[] {(byte) (packetId >> 8), (byte) packetId});
  }

  /** The next packet of the given type; others are skipped. */
  Packet await(int type) throws IOException {
    while (true) {
      Packet p = read();
      if (p.type() == type) return p;
    }
  }

  Packet read() throws IOException {
    int header = in.read();
    if (header < 0) throw new EOFException("closed by the server");
    int length = 0;
    int multiplier = 1;
    int digit;
    do {
      digit = in.readUnsignedByte();
      length += (digit & 0x7f) * multiplier;
      multiplier *= 128;
    } while ((digit & 0x80) != 0);
    byte[] body = new byte[length];
    in.readFully(body);
    return new Packet(header, body);
  }

  /** Whether the server closed the connection within the socket timeout (reading and dropping packets). */
  boolean closedByServer() throws IOException {
    try {
      while (true) read();
    } catch (EOFException | java.net.SocketException closed) {
      return true;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private void send(int header, byte[] body) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(header);
    int length = body.length;
    do {
      int digit = length % 128;
      length /= 128;
      b.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    b.writeBytes(body);
    out.write(b.toByteArray());
    out.flush();
  }

  private static void string(ByteArrayOutputStream b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.write(bytes.length >> 8);
    b.write(bytes.length & 0xff);
    b.writeBytes(bytes);
  }
}
