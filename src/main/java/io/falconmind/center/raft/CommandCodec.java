package io.falconmind.center.raft;

import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.Command.AssignMissions;
import io.falconmind.center.control.Command.Assignment;
import io.falconmind.center.control.Command.AttemptRef;
import io.falconmind.center.control.Command.CancelMission;
import io.falconmind.center.control.Command.DeviceConnected;
import io.falconmind.center.control.Command.DeviceDisconnected;
import io.falconmind.center.control.Command.EvictFinished;
import io.falconmind.center.control.Command.ExpireMissions;
import io.falconmind.center.control.Command.NewTerm;
import io.falconmind.center.control.Command.RegisterDevice;
import io.falconmind.center.control.Command.RemoveDevice;
import io.falconmind.center.control.Command.ReportStatuses;
import io.falconmind.center.control.Command.SetDraining;
import io.falconmind.center.control.Command.StatusReport;
import io.falconmind.center.control.Command.SubmitMissions;
import io.falconmind.center.control.Command.TimeOutAttempts;
import io.falconmind.center.control.Command.UpdateProfile;
import io.falconmind.center.control.MissionSpec;
import io.falconmind.center.control.Requirements;
import io.vertx.core.buffer.Buffer;

/**
 * The binary form of every {@link Command}: one tag byte naming the command type, then its fields
 * in a fixed order. Tags and field orders are the wire format between nodes of one cluster: a new
 * command takes a new tag, and an existing one's fields never change meaning.
 */
public final class CommandCodec {

  private static final int REGISTER_DEVICE = 1;
  private static final int REMOVE_DEVICE = 2;
  private static final int SET_DRAINING = 3;
  private static final int DEVICE_CONNECTED = 4;
  private static final int DEVICE_DISCONNECTED = 5;
  private static final int UPDATE_PROFILE = 6;
  private static final int SUBMIT_MISSIONS = 7;
  private static final int ASSIGN_MISSIONS = 8;
  private static final int REPORT_STATUSES = 9;
  private static final int CANCEL_MISSION = 10;
  private static final int TIME_OUT_ATTEMPTS = 11;
  private static final int EXPIRE_MISSIONS = 12;
  private static final int EVICT_FINISHED = 13;
  private static final int NEW_TERM = 14;

  /** Command tags run from 1 to below this; {@link RaftCodec} uses 0 and higher ones for other operations. */
  static final int TAG_LIMIT = 64;

  private static final AttemptStatus[] STATUSES = AttemptStatus.values();

  private CommandCodec() {
  }

  /** The command alone, as a frame of its own. */
  public static Buffer encode(Command command) {
    WireWriter w = new WireWriter();
    write(w, command);
    return w.buffer();
  }

  /** A frame written by {@link #encode}; fails with {@link IllegalArgumentException} if malformed. */
  public static Command decode(Buffer frame) {
    WireReader r = new WireReader(frame);
    Command command = read(r);
    r.expectEnd();
    return command;
  }

  /** Writes the command's tag and fields. */
  public static void write(WireWriter w, Command command) {
    if (command instanceof RegisterDevice c) {
      w.writeByte(REGISTER_DEVICE).writeNullableString(c.id()).writeNullableString(c.name())
          .writeStringMap(c.labels()).writeNullableString(c.tokenHash()).writeTime(c.at());
    } else if (command instanceof RemoveDevice c) {
      w.writeByte(REMOVE_DEVICE).writeNullableString(c.id()).writeTime(c.at());
    } else if (command instanceof SetDraining c) {
      w.writeByte(SET_DRAINING).writeNullableString(c.id()).writeBoolean(c.draining()).writeTime(c.at());
    } else if (command instanceof DeviceConnected c) {
      w.writeByte(DEVICE_CONNECTED).writeNullableString(c.id()).writeNullableString(c.nodeId()).writeTime(c.at());
    } else if (command instanceof DeviceDisconnected c) {
      w.writeByte(DEVICE_DISCONNECTED).writeNullableString(c.id()).writeNullableString(c.nodeId()).writeTime(c.at());
    } else if (command instanceof UpdateProfile c) {
      w.writeByte(UPDATE_PROFILE).writeNullableString(c.id()).writeNullableString(c.kind())
          .writeStrings(c.capabilities()).writeSigned(c.capacity()).writeJson(c.specs())
          .writeStringMap(c.labels()).writeTime(c.at());
    } else if (command instanceof SubmitMissions c) {
      w.writeByte(SUBMIT_MISSIONS).writeList(c.missions(), CommandCodec::writeSpec).writeTime(c.at());
    } else if (command instanceof AssignMissions c) {
      w.writeByte(ASSIGN_MISSIONS).writeList(c.assignments(), CommandCodec::writeAssignment)
          .writeSigned(c.term()).writeTime(c.at());
    } else if (command instanceof ReportStatuses c) {
      w.writeByte(REPORT_STATUSES).writeList(c.reports(), CommandCodec::writeReport).writeTime(c.at());
    } else if (command instanceof CancelMission c) {
      w.writeByte(CANCEL_MISSION).writeNullableString(c.id()).writeNullableString(c.reason()).writeTime(c.at());
    } else if (command instanceof TimeOutAttempts c) {
      w.writeByte(TIME_OUT_ATTEMPTS).writeList(c.attempts(), CommandCodec::writeAttemptRef)
          .writeSigned(c.term()).writeTime(c.at());
    } else if (command instanceof ExpireMissions c) {
      w.writeByte(EXPIRE_MISSIONS).writeStrings(c.ids()).writeSigned(c.term()).writeTime(c.at());
    } else if (command instanceof EvictFinished c) {
      // finishedBefore and keysBefore are times too: written as deltas they stay short
      w.writeByte(EVICT_FINISHED).writeTime(c.finishedBefore()).writeTime(c.keysBefore())
          .writeSigned(c.term()).writeTime(c.at());
    } else if (command instanceof NewTerm c) {
      w.writeByte(NEW_TERM).writeSigned(c.term()).writeNullableString(c.leader()).writeTime(c.at());
    } else {
      throw new IllegalArgumentException("no wire form for command "
          + (command == null ? "null" : command.getClass().getName()));
    }
  }

  /** Reads a command written by {@link #write}. */
  public static Command read(WireReader r) {
    return readTagged(r.readByte(), r);
  }

  /** Reads the fields of the command whose tag was already read. */
  static Command readTagged(int tag, WireReader r) {
    return switch (tag) {
      case REGISTER_DEVICE -> new RegisterDevice(r.readNullableString(), r.readNullableString(), r.readStringMap(),
          r.readNullableString(), r.readTime());
      case REMOVE_DEVICE -> new RemoveDevice(r.readNullableString(), r.readTime());
      case SET_DRAINING -> new SetDraining(r.readNullableString(), r.readBoolean(), r.readTime());
      case DEVICE_CONNECTED -> new DeviceConnected(r.readNullableString(), r.readNullableString(), r.readTime());
      case DEVICE_DISCONNECTED -> new DeviceDisconnected(r.readNullableString(), r.readNullableString(), r.readTime());
      case UPDATE_PROFILE -> new UpdateProfile(r.readNullableString(), r.readNullableString(), r.readStrings(),
          r.readSignedInt(), r.readJson(), r.readStringMap(), r.readTime());
      case SUBMIT_MISSIONS -> new SubmitMissions(r.readList(CommandCodec::readSpec), r.readTime());
      case ASSIGN_MISSIONS -> new AssignMissions(r.readList(CommandCodec::readAssignment), r.readSignedLong(),
          r.readTime());
      case REPORT_STATUSES -> new ReportStatuses(r.readList(CommandCodec::readReport), r.readTime());
      case CANCEL_MISSION -> new CancelMission(r.readNullableString(), r.readNullableString(), r.readTime());
      case TIME_OUT_ATTEMPTS -> new TimeOutAttempts(r.readList(CommandCodec::readAttemptRef), r.readSignedLong(),
          r.readTime());
      case EXPIRE_MISSIONS -> new ExpireMissions(r.readStrings(), r.readSignedLong(), r.readTime());
      case EVICT_FINISHED -> new EvictFinished(r.readTime(), r.readTime(), r.readSignedLong(), r.readTime());
      case NEW_TERM -> new NewTerm(r.readSignedLong(), r.readNullableString(), r.readTime());
      default -> throw r.malformed("unknown command tag " + tag);
    };
  }

  // ---- parts shared with snapshots -------------------------------------------------------------

  static void writeSpec(WireWriter w, MissionSpec s) {
    w.writeNullableString(s.id()).writeNullableString(s.type()).writeSigned(s.priority()).writeJson(s.payload());
    writeRequirements(w, s.requirements());
    w.writeSigned(s.timeoutSec()).writeSigned(s.maxAttempts()).writeNullable(s.deadline(), WireWriter::writeTime)
        .writeNullableString(s.idempotencyKey()).writeNullableString(s.requestHash());
  }

  static MissionSpec readSpec(WireReader r) {
    return new MissionSpec(r.readNullableString(), r.readNullableString(), r.readSignedInt(), r.readJson(),
        readRequirements(r), r.readSignedInt(), r.readSignedInt(), r.readNullable(WireReader::readTime),
        r.readNullableString(), r.readNullableString());
  }

  private static final int HAS_REQUIREMENTS = 1;
  private static final int HAS_CAPABILITIES = 2;
  private static final int HAS_KIND = 4;
  private static final int HAS_LABELS = 8;
  private static final int HAS_MIN_BATTERY = 16;
  private static final int HAS_NEAR = 32;

  /**
   * Requirements, or null: a byte of flags says which fields follow, so that the common "no
   * requirements" costs one byte. Empty capabilities and labels read back as empty, as the record
   * normalises them anyway.
   */
  static void writeRequirements(WireWriter w, Requirements q) {
    if (q == null) {
      w.writeByte(0);
      return;
    }
    boolean caps = !q.capabilities().isEmpty();
    boolean labels = !q.labels().isEmpty();
    w.writeByte(HAS_REQUIREMENTS | (caps ? HAS_CAPABILITIES : 0) | (q.kind() != null ? HAS_KIND : 0)
        | (labels ? HAS_LABELS : 0) | (q.minBattery() != null ? HAS_MIN_BATTERY : 0)
        | (q.near() != null ? HAS_NEAR : 0));
    if (caps) w.writeStrings(q.capabilities());
    if (q.kind() != null) w.writeString(q.kind());
    if (labels) w.writeStringMap(q.labels());
    if (q.minBattery() != null) w.writeDouble(q.minBattery());
    if (q.near() != null) w.writeDouble(q.near().lat()).writeDouble(q.near().lon()).writeDouble(q.near().radiusKm());
  }

  static Requirements readRequirements(WireReader r) {
    int flags = r.readByte();
    if (flags == 0) return null;
    if ((flags & HAS_REQUIREMENTS) == 0 || flags >= 64) throw r.malformed("requirement flags " + flags);
    return new Requirements(
        (flags & HAS_CAPABILITIES) != 0 ? r.readStrings() : null,
        (flags & HAS_KIND) != 0 ? r.readString() : null,
        (flags & HAS_LABELS) != 0 ? r.readStringMap() : null,
        (flags & HAS_MIN_BATTERY) != 0 ? r.readDouble() : null,
        (flags & HAS_NEAR) != 0 ? new Requirements.Near(r.readDouble(), r.readDouble(), r.readDouble()) : null);
  }

  // ---- parts of commands -----------------------------------------------------------------------

  private static void writeAssignment(WireWriter w, Assignment a) {
    w.writeNullableString(a.missionId()).writeNullableString(a.deviceId()).writeSigned(a.attempt());
  }

  private static Assignment readAssignment(WireReader r) {
    return new Assignment(r.readNullableString(), r.readNullableString(), r.readSignedInt());
  }

  private static void writeReport(WireWriter w, StatusReport s) {
    w.writeNullableString(s.missionId()).writeNullableString(s.deviceId()).writeSigned(s.attempt())
        .writeEnum(s.status()).writeNullable(s.progress(), (out, p) -> out.writeSigned(p))
        .writeJson(s.result()).writeJson(s.error());
  }

  private static StatusReport readReport(WireReader r) {
    return new StatusReport(r.readNullableString(), r.readNullableString(), r.readSignedInt(), r.readEnum(STATUSES),
        r.readNullable(WireReader::readSignedInt), r.readJson(), r.readJson());
  }

  private static void writeAttemptRef(WireWriter w, AttemptRef a) {
    w.writeNullableString(a.missionId()).writeSigned(a.attempt());
  }

  private static AttemptRef readAttemptRef(WireReader r) {
    return new AttemptRef(r.readNullableString(), r.readSignedInt());
  }
}
