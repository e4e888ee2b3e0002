package io.falconmind.center.raft;

import io.falconmind.center.control.Attempt;
import io.falconmind.center.control.AttemptOutcome;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState.KeyUse;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;
import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The binary form of a {@link ControlSnapshot} (the whole state, or a slice of it sent as one Raft
 * snapshot chunk): every field of every device, mission and idempotency key, in a fixed order.
 * Large snapshots are DEFLATE-compressed (zlib, whose checksum also catches corruption); a frame
 * says whether it is. Null collections read back as empty ones. Decoding fails with an
 * {@link IllegalArgumentException} on a malformed frame.
 */
public final class SnapshotCodec {

  private static final int PLAIN = 1;
  private static final int DEFLATED = 2;
  /** Below this the compressed form rarely pays for the time it takes. */
  private static final int COMPRESS_FROM_BYTES = 2048;
  /** DEFLATE cannot expand input by more than this factor, so larger claims are corrupt. */
  private static final int MAX_INFLATE_RATIO = 1032;

  private static final MissionState[] MISSION_STATES = MissionState.values();
  private static final AttemptOutcome[] OUTCOMES = AttemptOutcome.values();

  private SnapshotCodec() {
  }

  /** The snapshot as one frame, compressed when that makes it smaller. */
  public static Buffer encode(ControlSnapshot snapshot) {
    WireWriter body = new WireWriter();
    writeBody(body, snapshot);
    byte[] plain = body.buffer().getBytes();
    byte[] packed = plain.length < COMPRESS_FROM_BYTES ? null : deflate(plain);
    WireWriter frame = new WireWriter(Buffer.buffer(plain.length + 8));
    if (packed == null || packed.length >= plain.length) {
      frame.writeByte(PLAIN);
      frame.buffer().appendBytes(plain);
    } else {
      frame.writeByte(DEFLATED).writeUnsigned(plain.length);
      frame.buffer().appendBytes(packed);
    }
    return frame.buffer();
  }

  /**
   * A frame written by {@link #encode}.
   *
   * @throws IllegalArgumentException if the frame is truncated, corrupt or of an unknown format
   */
  public static ControlSnapshot decode(Buffer frame) {
    WireReader header = new WireReader(frame);
    int format = header.readByte();
    Buffer body = switch (format) {
      case PLAIN -> frame.slice(header.position(), frame.length());
      case DEFLATED -> inflate(header, frame);
      default -> throw header.malformed("unknown snapshot format " + format);
    };
    WireReader r = new WireReader(body);
    try {
      ControlSnapshot snapshot = readBody(r);
      r.expectEnd();
      return snapshot;
    } catch (NullPointerException e) {
      // a record refused a null where the frame had one: the frame is corrupt
      throw new IllegalArgumentException("malformed snapshot: null where a value is required", e);
    }
  }

  private static void writeBody(WireWriter w, ControlSnapshot s) {
    w.writeUnsigned(s.index()).writeUnsigned(s.seq()).writeSigned(s.term())
        .writeList(s.devices(), SnapshotCodec::writeDevice)
        .writeList(s.missions(), SnapshotCodec::writeMission);
    Map<String, KeyUse> keys = s.keys() == null ? Map.of() : s.keys();
    w.writeUnsigned(keys.size());
    keys.forEach((key, use) -> w.writeNullableString(key).writeNullableString(use.missionId())
        .writeNullableString(use.requestHash()).writeTime(use.at()));
  }

  private static ControlSnapshot readBody(WireReader r) {
    long index = r.readUnsignedLong();
    long seq = r.readUnsignedLong();
    long term = r.readSignedLong();
    List<Device> devices = orEmpty(r.readList(SnapshotCodec::readDevice));
    List<Mission> missions = orEmpty(r.readList(SnapshotCodec::readMission));
    int keyCount = r.readUnsignedInt();
    if (keyCount > r.remaining() / 4) throw r.malformed(keyCount + " keys in " + r.remaining() + " bytes");
    Map<String, KeyUse> keys = new LinkedHashMap<>();
    for (int i = 0; i < keyCount; i++) {
      keys.put(r.readNullableString(), new KeyUse(r.readNullableString(), r.readNullableString(), r.readTime()));
    }
    return new ControlSnapshot(index, seq, devices, missions, keys, term);
  }

  private static void writeDevice(WireWriter w, Device d) {
    w.writeNullableString(d.id()).writeNullableString(d.name()).writeNullableString(d.tokenHash())
        .writeNullableString(d.kind()).writeStrings(d.capabilities()).writeSigned(d.capacity())
        .writeJson(d.specs()).writeStringMap(d.labels()).writeBoolean(d.online())
        .writeNullableString(d.nodeId()).writeBoolean(d.draining())
        .writeTime(d.registeredAt()).writeTime(d.updatedAt())
        .writeNullable(d.connectedAt(), WireWriter::writeTime)
        .writeNullable(d.disconnectedAt(), WireWriter::writeTime)
        .writeStrings(d.activeMissions());
  }

  private static Device readDevice(WireReader r) {
    return new Device(r.readNullableString(), r.readNullableString(), r.readNullableString(),
        r.readNullableString(), r.readStrings(), r.readSignedInt(), r.readJson(), r.readStringMap(),
        r.readBoolean(), r.readNullableString(), r.readBoolean(), r.readTime(), r.readTime(),
        r.readNullable(WireReader::readTime), r.readNullable(WireReader::readTime), r.readStrings());
  }

  private static void writeMission(WireWriter w, Mission m) {
    w.writeNullableString(m.id()).writeNullableString(m.type()).writeSigned(m.priority()).writeJson(m.payload());
    CommandCodec.writeRequirements(w, m.requirements());
    w.writeSigned(m.timeoutSec()).writeSigned(m.maxAttempts()).writeNullable(m.deadline(), WireWriter::writeTime)
        .writeNullableString(m.idempotencyKey()).writeEnum(m.state()).writeNullableString(m.deviceId())
        .writeSigned(m.attempt()).writeList(m.attempts(), SnapshotCodec::writeAttempt)
        .writeNullable(m.progress(), (out, p) -> out.writeSigned(p)).writeJson(m.result()).writeJson(m.error())
        .writeTime(m.createdAt()).writeTime(m.updatedAt()).writeTime(m.notBefore())
        .writeNullable(m.finishedAt(), WireWriter::writeTime);
  }

  private static Mission readMission(WireReader r) {
    return new Mission(r.readNullableString(), r.readNullableString(), r.readSignedInt(), r.readJson(),
        CommandCodec.readRequirements(r), r.readSignedInt(), r.readSignedInt(), r.readNullable(WireReader::readTime),
        r.readNullableString(), r.readEnum(MISSION_STATES), r.readNullableString(), r.readSignedInt(),
        orEmpty(r.readList(SnapshotCodec::readAttempt)), r.readNullable(WireReader::readSignedInt),
        r.readJson(), r.readJson(), r.readTime(), r.readTime(), r.readTime(), r.readNullable(WireReader::readTime));
  }

  private static void writeAttempt(WireWriter w, Attempt a) {
    w.writeSigned(a.number()).writeNullableString(a.deviceId()).writeTime(a.assignedAt())
        .writeNullable(a.acceptedAt(), WireWriter::writeTime).writeNullable(a.startedAt(), WireWriter::writeTime)
        .writeNullable(a.endedAt(), WireWriter::writeTime).writeEnum(a.outcome()).writeJson(a.error());
  }

  private static Attempt readAttempt(WireReader r) {
    return new Attempt(r.readSignedInt(), r.readNullableString(), r.readTime(), r.readNullable(WireReader::readTime),
        r.readNullable(WireReader::readTime), r.readNullable(WireReader::readTime), r.readEnum(OUTCOMES),
        r.readJson());
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  // ---- compression ---------------------------------------------------------------------------

  private static byte[] deflate(byte[] plain) {
    Deflater deflater = new Deflater();
    try {
      deflater.setInput(plain);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length / 3 + 64);
      byte[] chunk = new byte[8192];
      while (!deflater.finished()) {
        int n = deflater.deflate(chunk);
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  /** Inflates what follows the header, refusing sizes the compressed bytes cannot produce. */
  private static Buffer inflate(WireReader header, Buffer frame) {
    int size = header.readUnsignedInt();
    int packedAt = header.position();
    long packed = frame.length() - packedAt;
    if (size < 0 || size > packed * MAX_INFLATE_RATIO) {
      throw header.malformed("inflated size " + size + " impossible from " + packed + " bytes");
    }
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(frame.getBytes(packedAt, frame.length()));
      byte[] plain = new byte[size];
      int n = 0;
      while (n < size) {
        int got = inflater.inflate(plain, n, size - n);
        if (got == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) break;
        n += got;
      }
      // the zlib trailer (a checksum) is read only by one more call once the output is full
      if (n == size && !inflater.finished() && inflater.inflate(new byte[1]) > 0) n++;
      if (n != size || !inflater.finished() || inflater.getRemaining() > 0) {
        throw new IllegalArgumentException("malformed snapshot: compressed body inflates to " + n
            + " bytes, header says " + size);
      }
      return Buffer.buffer(plain);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException("malformed snapshot: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }
}
