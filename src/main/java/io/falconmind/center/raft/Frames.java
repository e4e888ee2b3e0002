package io.falconmind.center.raft;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary frames the nodes exchange besides Raft's own messages: batches of applied commands (the
 * leader's stream to gateways, and catch-up answers), snapshots for gateways, and proposals
 * forwarded to the leader with their results.
 */
final class Frames {

  static final byte ENTRIES = 1;
  static final byte SNAPSHOT = 2;

  private Frames() {
  }

  /** A batch of applied commands of one group and term, in order. */
  record Batch(String group, long term, List<AppliedLog.Entry> entries) {
  }

  static Buffer entries(String group, long term, List<AppliedLog.Entry> entries) {
    Buffer b = Buffer.buffer(64 + entries.size() * 96).appendByte(ENTRIES);
    string(b, group).appendLong(term).appendInt(entries.size());
    for (AppliedLog.Entry e : entries) {
      Buffer command = CommandCodec.encode(e.command());
      b.appendLong(e.previous()).appendLong(e.index()).appendInt(command.length()).appendBuffer(command);
    }
    return b;
  }

  static Buffer snapshot(String group, long term, Buffer snapshot) {
    Buffer b = Buffer.buffer(snapshot.length() + 64).appendByte(SNAPSHOT);
    return string(b, group).appendLong(term).appendBuffer(snapshot);
  }

  static byte kind(Buffer b) {
    return b.getByte(0);
  }

  static Batch readEntries(Buffer b) {
    int[] pos = {1};
    String group = string(b, pos);
    long term = b.getLong(pos[0]);
    int n = b.getInt(pos[0] + 8);
    pos[0] += 12;
    if (n < 0 || n > b.length()) throw new IllegalArgumentException("bad entry count " + n);
    List<AppliedLog.Entry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long previous = b.getLong(pos[0]);
      long index = b.getLong(pos[0] + 8);
      int len = b.getInt(pos[0] + 16);
      pos[0] += 20;
      if (len < 0 || pos[0] + len > b.length()) throw new IllegalArgumentException("truncated entry");
      entries.add(new AppliedLog.Entry(previous, index, CommandCodec.decode(b.getBuffer(pos[0], pos[0] + len))));
      pos[0] += len;
    }
    return new Batch(group, term, entries);
  }

  /** The group, term and snapshot bytes of a snapshot frame. */
  record Snapshot(String group, long term, Buffer bytes) {
  }

  static Snapshot readSnapshot(Buffer b) {
    int[] pos = {1};
    String group = string(b, pos);
    long term = b.getLong(pos[0]);
    return new Snapshot(group, term, b.getBuffer(pos[0] + 8, b.length()));
  }

  /** A proposal forwarded to the leader. */
  static Buffer forward(boolean committedOnly, Buffer command) {
    return Buffer.buffer(command.length() + 1).appendByte(committedOnly ? (byte) 1 : 0).appendBuffer(command);
  }

  static boolean forwardCommittedOnly(Buffer b) {
    return b.getByte(0) == 1;
  }

  static Buffer forwardCommand(Buffer b) {
    return b.getBuffer(1, b.length());
  }

  /** The leader's answer to a forwarded proposal: its log index and reply. */
  static Buffer result(long index, String reply) {
    Buffer b = Buffer.buffer().appendLong(index);
    return b.appendBytes(reply.getBytes(StandardCharsets.UTF_8));
  }

  static long resultIndex(Buffer b) {
    return b.getLong(0);
  }

  static String resultReply(Buffer b) {
    return b.getString(8, b.length(), "UTF-8");
  }

  private static Buffer string(Buffer b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    return b.appendShort((short) bytes.length).appendBytes(bytes);
  }

  private static String string(Buffer b, int[] pos) {
    int len = b.getShort(pos[0]) & 0xffff;
    pos[0] += 2;
    if (pos[0] + len > b.length()) throw new IllegalArgumentException("truncated string");
    String s = b.getString(pos[0], pos[0] + len, "UTF-8");
    pos[0] += len;
    return s;
  }
}
