package io.falconmind.center.raft;

import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlSnapshot;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.groupop.UpdateRaftGroupMembersOp;
import io.microraft.model.impl.DefaultRaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.message.AppendEntriesFailureResponse;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.AppendEntriesSuccessResponse;
import io.microraft.model.message.InstallSnapshotRequest;
import io.microraft.model.message.InstallSnapshotResponse;
import io.microraft.model.message.PreVoteRequest;
import io.microraft.model.message.PreVoteResponse;
import io.microraft.model.message.RaftMessage;
import io.microraft.model.message.TriggerLeaderElectionRequest;
import io.microraft.model.message.VoteRequest;
import io.microraft.model.message.VoteResponse;
import io.microraft.model.persistence.RaftEndpointPersistentState;
import io.microraft.model.persistence.RaftTermPersistentState;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The binary form of MicroRaft's messages between the members of the control group, and of the
 * models a Raft store persists: a tag byte naming the type, then its fields in a fixed order. The
 * group id is a string and endpoints are {@link NodeEndpoint}s written by id; a string repeated in a
 * frame (an endpoint, a device id) is written once. Log operations are our {@link Command}s and
 * MicroRaft's {@link UpdateRaftGroupMembersOp}; a snapshot chunk carries a {@link ControlSnapshot}.
 * Objects are rebuilt with {@link DefaultRaftModelFactory}. Stateless and thread-safe.
 *
 * <p>A transport must not let {@link #encode}'s exception out of {@code Transport.send}: log it and
 * drop the message, as MicroRaft expects of a lossy network.
 */
public final class RaftCodec {

  private static final int VOTE_REQUEST = 1;
  private static final int VOTE_RESPONSE = 2;
  private static final int PRE_VOTE_REQUEST = 3;
  private static final int PRE_VOTE_RESPONSE = 4;
  private static final int APPEND_ENTRIES_REQUEST = 5;
  private static final int APPEND_ENTRIES_SUCCESS = 6;
  private static final int APPEND_ENTRIES_FAILURE = 7;
  private static final int INSTALL_SNAPSHOT_REQUEST = 8;
  private static final int INSTALL_SNAPSHOT_RESPONSE = 9;
  private static final int TRIGGER_LEADER_ELECTION = 10;
  private static final int LOG_ENTRY = 20;
  private static final int SNAPSHOT_CHUNK = 21;
  private static final int GROUP_MEMBERS_VIEW = 22;
  private static final int ENDPOINT_STATE = 23;
  private static final int TERM_STATE = 24;

  /** Operation tags; a command's own tag (below {@link CommandCodec#TAG_LIMIT}) stands for itself. */
  private static final int NO_OPERATION = 0;
  private static final int MEMBERS_OPERATION = CommandCodec.TAG_LIMIT;
  private static final int SNAPSHOT_OPERATION = CommandCodec.TAG_LIMIT + 1;

  private static final RaftModelFactory FACTORY = new DefaultRaftModelFactory();
  private static final MembershipChangeMode[] MODES = MembershipChangeMode.values();

  private RaftCodec() {
  }

  /**
   * Encodes a {@link RaftMessage}, or one of the models a Raft store persists ({@link LogEntry},
   * {@link SnapshotChunk}, {@link RaftGroupMembersView}, {@link RaftEndpointPersistentState},
   * {@link RaftTermPersistentState}).
   *
   * @throws IllegalArgumentException for any other object, a group id that is not a string, an
   *                                  endpoint that is not a {@link NodeEndpoint} or an operation
   *                                  without a wire form
   */
  public static Buffer encode(Object raftMessageOrModel) {
    WireWriter w = new WireWriter();
    write(w, raftMessageOrModel);
    return w.buffer();
  }

  /**
   * Decodes what {@link #encode} produced.
   *
   * @throws IllegalArgumentException if the frame is truncated, corrupt or of an unknown type
   */
  public static Object decode(Buffer frame) {
    WireReader r = new WireReader(frame);
    Object decoded = read(r);
    r.expectEnd();
    return decoded;
  }

  private static void write(WireWriter w, Object o) {
    if (o instanceof AppendEntriesRequest m) {
      writeAppendEntries(w.writeByte(APPEND_ENTRIES_REQUEST), m);
    } else if (o instanceof AppendEntriesSuccessResponse m) {
      writeHeader(w.writeByte(APPEND_ENTRIES_SUCCESS), m).writeUnsigned(m.getLastLogIndex())
          .writeUnsigned(m.getQuerySequenceNumber()).writeUnsigned(m.getFlowControlSequenceNumber());
    } else if (o instanceof AppendEntriesFailureResponse m) {
      writeHeader(w.writeByte(APPEND_ENTRIES_FAILURE), m).writeUnsigned(m.getExpectedNextIndex())
          .writeUnsigned(m.getQuerySequenceNumber()).writeUnsigned(m.getFlowControlSequenceNumber());
    } else if (o instanceof VoteRequest m) {
      writeHeader(w.writeByte(VOTE_REQUEST), m).writeUnsigned(m.getLastLogTerm())
          .writeUnsigned(m.getLastLogIndex()).writeBoolean(m.isSticky());
    } else if (o instanceof VoteResponse m) {
      writeHeader(w.writeByte(VOTE_RESPONSE), m).writeBoolean(m.isGranted());
    } else if (o instanceof PreVoteRequest m) {
      writeHeader(w.writeByte(PRE_VOTE_REQUEST), m).writeUnsigned(m.getLastLogTerm())
          .writeUnsigned(m.getLastLogIndex());
    } else if (o instanceof PreVoteResponse m) {
      writeHeader(w.writeByte(PRE_VOTE_RESPONSE), m).writeBoolean(m.isGranted());
    } else if (o instanceof InstallSnapshotRequest m) {
      writeInstallSnapshot(w.writeByte(INSTALL_SNAPSHOT_REQUEST), m);
    } else if (o instanceof InstallSnapshotResponse m) {
      writeHeader(w.writeByte(INSTALL_SNAPSHOT_RESPONSE), m).writeUnsigned(m.getSnapshotIndex())
          .writeUnsigned(m.getRequestedSnapshotChunkIndex()).writeUnsigned(m.getQuerySequenceNumber())
          .writeUnsigned(m.getFlowControlSequenceNumber());
    } else if (o instanceof TriggerLeaderElectionRequest m) {
      writeHeader(w.writeByte(TRIGGER_LEADER_ELECTION), m).writeUnsigned(m.getLastLogTerm())
          .writeUnsigned(m.getLastLogIndex());
    } else if (o instanceof LogEntry e) {
      w.writeByte(LOG_ENTRY).writeUnsigned(e.getIndex()).writeUnsigned(e.getTerm());
      writeOperation(w, e.getOperation());
    } else if (o instanceof SnapshotChunk c) {
      writeChunk(w.writeByte(SNAPSHOT_CHUNK), c);
    } else if (o instanceof RaftGroupMembersView v) {
      writeMembersView(w.writeByte(GROUP_MEMBERS_VIEW), v);
    } else if (o instanceof RaftEndpointPersistentState s) {
      writeEndpoint(w.writeByte(ENDPOINT_STATE), s.getLocalEndpoint());
      w.writeBoolean(s.isVoting());
    } else if (o instanceof RaftTermPersistentState s) {
      writeEndpoint(w.writeByte(TERM_STATE).writeUnsigned(s.getTerm()), s.getVotedFor());
    } else {
      throw new IllegalArgumentException("no wire form for " + (o == null ? "null" : o.getClass().getName()));
    }
  }

  private static Object read(WireReader r) {
    int tag = r.readByte();
    return switch (tag) {
      case APPEND_ENTRIES_REQUEST -> readAppendEntries(r);
      case APPEND_ENTRIES_SUCCESS -> FACTORY.createAppendEntriesSuccessResponseBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setLastLogIndex(r.readUnsignedLong()).setQuerySequenceNumber(r.readUnsignedLong())
          .setFlowControlSequenceNumber(r.readUnsignedLong()).build();
      case APPEND_ENTRIES_FAILURE -> FACTORY.createAppendEntriesFailureResponseBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setExpectedNextIndex(r.readUnsignedLong()).setQuerySequenceNumber(r.readUnsignedLong())
          .setFlowControlSequenceNumber(r.readUnsignedLong()).build();
      case VOTE_REQUEST -> FACTORY.createVoteRequestBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setLastLogTerm(r.readUnsignedInt()).setLastLogIndex(r.readUnsignedLong()).setSticky(r.readBoolean())
          .build();
      case VOTE_RESPONSE -> FACTORY.createVoteResponseBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setGranted(r.readBoolean()).build();
      case PRE_VOTE_REQUEST -> FACTORY.createPreVoteRequestBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setLastLogTerm(r.readUnsignedInt()).setLastLogIndex(r.readUnsignedLong()).build();
      case PRE_VOTE_RESPONSE -> FACTORY.createPreVoteResponseBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setGranted(r.readBoolean()).build();
      case INSTALL_SNAPSHOT_REQUEST -> readInstallSnapshot(r);
      case INSTALL_SNAPSHOT_RESPONSE -> FACTORY.createInstallSnapshotResponseBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setSnapshotIndex(r.readUnsignedLong()).setRequestedSnapshotChunkIndex(r.readUnsignedInt())
          .setQuerySequenceNumber(r.readUnsignedLong()).setFlowControlSequenceNumber(r.readUnsignedLong())
          .build();
      case TRIGGER_LEADER_ELECTION -> FACTORY.createTriggerLeaderElectionRequestBuilder()
          .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
          .setLastLogTerm(r.readUnsignedInt()).setLastLogIndex(r.readUnsignedLong()).build();
      case LOG_ENTRY -> FACTORY.createLogEntryBuilder().setIndex(r.readUnsignedLong())
          .setTerm(r.readUnsignedInt()).setOperation(readOperation(r)).build();
      case SNAPSHOT_CHUNK -> readChunk(r);
      case GROUP_MEMBERS_VIEW -> readMembersView(r);
      case ENDPOINT_STATE -> FACTORY.createRaftEndpointPersistentStateBuilder()
          .setLocalEndpoint(readEndpoint(r)).setVoting(r.readBoolean()).build();
      case TERM_STATE -> FACTORY.createRaftTermPersistentStateBuilder()
          .setTerm(r.readUnsignedInt()).setVotedFor(readEndpoint(r)).build();
      default -> throw r.malformed("unknown Raft message tag " + tag);
    };
  }

  // ---- the hot message -----------------------------------------------------------------------

  /**
   * Entries follow the previous entry, so each index and term is written as its difference to the
   * one expected: two bytes per entry before its operation, whatever the index.
   */
  private static void writeAppendEntries(WireWriter w, AppendEntriesRequest m) {
    writeHeader(w, m).writeUnsigned(m.getPreviousLogTerm()).writeUnsigned(m.getPreviousLogIndex())
        .writeSigned(m.getCommitIndex() - m.getPreviousLogIndex())
        .writeUnsigned(m.getQuerySequenceNumber()).writeUnsigned(m.getFlowControlSequenceNumber());
    List<LogEntry> entries = m.getLogEntries();
    w.writeUnsigned(entries.size());
    long nextIndex = m.getPreviousLogIndex() + 1;
    long lastTerm = m.getPreviousLogTerm();
    for (LogEntry e : entries) {
      w.writeSigned(e.getIndex() - nextIndex).writeSigned(e.getTerm() - lastTerm);
      writeOperation(w, e.getOperation());
      nextIndex = e.getIndex() + 1;
      lastTerm = e.getTerm();
    }
  }

  private static AppendEntriesRequest readAppendEntries(WireReader r) {
    Object groupId = readGroupId(r);
    RaftEndpoint sender = readEndpoint(r);
    int term = r.readUnsignedInt();
    int previousLogTerm = r.readUnsignedInt();
    long previousLogIndex = r.readUnsignedLong();
    long commitIndex = previousLogIndex + r.readSignedLong();
    long querySequenceNumber = r.readUnsignedLong();
    long flowControlSequenceNumber = r.readUnsignedLong();
    int count = r.readUnsignedInt();
    if (count > r.remaining() / 3) throw r.malformed(count + " log entries in " + r.remaining() + " bytes");
    List<LogEntry> entries = new ArrayList<>(count);
    long nextIndex = previousLogIndex + 1;
    long lastTerm = previousLogTerm;
    for (int i = 0; i < count; i++) {
      long index = nextIndex + r.readSignedLong();
      long entryTerm = lastTerm + r.readSignedLong();
      if (entryTerm != (int) entryTerm) throw r.malformed("log entry term " + entryTerm);
      entries.add(FACTORY.createLogEntryBuilder().setIndex(index).setTerm((int) entryTerm)
          .setOperation(readOperation(r)).build());
      nextIndex = index + 1;
      lastTerm = entryTerm;
    }
    return FACTORY.createAppendEntriesRequestBuilder().setGroupId(groupId).setSender(sender).setTerm(term)
        .setPreviousLogTerm(previousLogTerm).setPreviousLogIndex(previousLogIndex).setCommitIndex(commitIndex)
        .setLogEntries(entries).setQuerySequenceNumber(querySequenceNumber)
        .setFlowControlSequenceNumber(flowControlSequenceNumber).build();
  }

  // ---- snapshots -----------------------------------------------------------------------------

  private static void writeInstallSnapshot(WireWriter w, InstallSnapshotRequest m) {
    writeHeader(w, m).writeBoolean(m.isSenderLeader()).writeUnsigned(m.getSnapshotTerm())
        .writeUnsigned(m.getSnapshotIndex()).writeUnsigned(m.getTotalSnapshotChunkCount())
        .writeNullable(m.getSnapshotChunk(), RaftCodec::writeChunk);
    writeEndpoints(w, m.getSnapshottedMembers());
    w.writeNullable(m.getGroupMembersView(), RaftCodec::writeMembersView)
        .writeUnsigned(m.getQuerySequenceNumber()).writeUnsigned(m.getFlowControlSequenceNumber());
  }

  private static InstallSnapshotRequest readInstallSnapshot(WireReader r) {
    return FACTORY.createInstallSnapshotRequestBuilder()
        .setGroupId(readGroupId(r)).setSender(readEndpoint(r)).setTerm(r.readUnsignedInt())
        .setSenderLeader(r.readBoolean()).setSnapshotTerm(r.readUnsignedInt()).setSnapshotIndex(r.readUnsignedLong())
        .setTotalSnapshotChunkCount(r.readUnsignedInt()).setSnapshotChunk(r.readNullable(RaftCodec::readChunk))
        .setSnapshottedMembers(readEndpoints(r)).setGroupMembersView(r.readNullable(RaftCodec::readMembersView))
        .setQuerySequenceNumber(r.readUnsignedLong()).setFlowControlSequenceNumber(r.readUnsignedLong())
        .build();
  }

  private static void writeChunk(WireWriter w, SnapshotChunk c) {
    w.writeUnsigned(c.getIndex()).writeUnsigned(c.getTerm()).writeUnsigned(c.getSnapshotChunkIndex())
        .writeUnsigned(c.getSnapshotChunkCount()).writeNullable(c.getGroupMembersView(), RaftCodec::writeMembersView);
    writeOperation(w, c.getOperation());
  }

  private static SnapshotChunk readChunk(WireReader r) {
    return FACTORY.createSnapshotChunkBuilder().setIndex(r.readUnsignedLong()).setTerm(r.readUnsignedInt())
        .setSnapshotChunkIndex(r.readUnsignedInt()).setSnapshotChunkCount(r.readUnsignedInt())
        .setGroupMembersView(r.readNullable(RaftCodec::readMembersView)).setOperation(readOperation(r)).build();
  }

  // ---- parts ---------------------------------------------------------------------------------

  private static WireWriter writeHeader(WireWriter w, RaftMessage m) {
    if (!(m.getGroupId() instanceof String groupId)) {
      throw new IllegalArgumentException("group id is not a string: " + m.getGroupId());
    }
    w.writeString(groupId);
    writeEndpoint(w, m.getSender());
    return w.writeUnsigned(m.getTerm());
  }

  private static Object readGroupId(WireReader r) {
    return r.readString();
  }

  private static void writeOperation(WireWriter w, Object operation) {
    if (operation == null) {
      w.writeByte(NO_OPERATION);
    } else if (operation instanceof Command c) {
      CommandCodec.write(w, c);
    } else if (operation instanceof UpdateRaftGroupMembersOp op) {
      w.writeByte(MEMBERS_OPERATION);
      writeEndpoints(w, op.getMembers());
      writeEndpoints(w, op.getVotingMembers());
      writeEndpoint(w, op.getEndpoint());
      w.writeEnum(op.getMode());
    } else if (operation instanceof ControlSnapshot s) {
      w.writeByte(SNAPSHOT_OPERATION).writeBytes(SnapshotCodec.encode(s));
    } else {
      throw new IllegalArgumentException("no wire form for operation " + operation.getClass().getName());
    }
  }

  private static Object readOperation(WireReader r) {
    int tag = r.readByte();
    return switch (tag) {
      case NO_OPERATION -> null;
      case MEMBERS_OPERATION -> FACTORY.createUpdateRaftGroupMembersOpBuilder().setMembers(readEndpoints(r))
          .setVotingMembers(readEndpoints(r)).setEndpoint(readEndpoint(r)).setMode(r.readEnum(MODES)).build();
      case SNAPSHOT_OPERATION -> {
        Buffer block = r.readBytes();
        if (block == null) throw r.malformed("snapshot operation without a snapshot");
        yield SnapshotCodec.decode(block);
      }
      default -> {
        if (tag >= CommandCodec.TAG_LIMIT) throw r.malformed("unknown operation tag " + tag);
        yield CommandCodec.readTagged(tag, r);
      }
    };
  }

  private static void writeMembersView(WireWriter w, RaftGroupMembersView v) {
    w.writeUnsigned(v.getLogIndex());
    writeEndpoints(w, v.getMembers());
    writeEndpoints(w, v.getVotingMembers());
  }

  private static RaftGroupMembersView readMembersView(WireReader r) {
    return FACTORY.createRaftGroupMembersViewBuilder().setLogIndex(r.readUnsignedLong())
        .setMembers(readEndpoints(r)).setVotingMembers(readEndpoints(r)).build();
  }

  /** An endpoint by id, or null; repeated ids in a frame cost a byte or two. */
  private static void writeEndpoint(WireWriter w, RaftEndpoint endpoint) {
    if (endpoint != null && !(endpoint instanceof NodeEndpoint)) {
      throw new IllegalArgumentException("endpoint is not a NodeEndpoint: " + endpoint.getClass().getName());
    }
    w.writeNullableString(endpoint == null ? null : ((NodeEndpoint) endpoint).id());
  }

  private static RaftEndpoint readEndpoint(WireReader r) {
    String id = r.readNullableString();
    return id == null ? null : new NodeEndpoint(id);
  }

  private static void writeEndpoints(WireWriter w, Collection<RaftEndpoint> endpoints) {
    w.writeList(endpoints, RaftCodec::writeEndpoint);
  }

  private static List<RaftEndpoint> readEndpoints(WireReader r) {
    return r.readList(RaftCodec::readEndpoint);
  }
}
