package io.falconmind.center.raft;

import io.falconmind.center.control.Command;
import io.falconmind.center.control.Command.SubmitMissions;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.MissionSpec;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.impl.DefaultRaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.InstallSnapshotRequest;
import io.microraft.model.message.RaftMessage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static io.falconmind.center.raft.CommandSamples.T0;
import static io.falconmind.center.raft.CommandSamples.realisticSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class RaftCodecTest {

  private static final Logger log = LoggerFactory.getLogger(RaftCodecTest.class);
  private static final RaftModelFactory F = new DefaultRaftModelFactory();
  private static final String GROUP = "center";
  private static final NodeEndpoint A = new NodeEndpoint("node-a");
  private static final NodeEndpoint B = new NodeEndpoint("node-b");
  private static final NodeEndpoint C = new NodeEndpoint("node-c");

  @Test
  void everyMessageTypeOfMicroRaftHasASample() throws Exception {
    List<Class<?>> messageTypes = microRaftMessageTypes();
    assertThat(messageTypes).hasSize(10);

    for (Class<?> type : messageTypes) {
      assertThat(samples()).as("a sample of %s", type.getSimpleName()).anyMatch(type::isInstance);
    }
  }

  @Test
  void everySampleRoundTripsWithEveryField() {
    for (Object sample : samples()) {
      Object decoded = RaftCodec.decode(RaftCodec.encode(sample));

      assertThat(decoded).isInstanceOf(sample.getClass());
      // the Default* models print every field, and our commands and snapshots print theirs
      assertThat(decoded).hasToString(sample.toString());
    }
  }

  @Test
  void anAppendEntriesRequestKeepsItsHeaderAndEveryEntry() {
    AppendEntriesRequest sent = appendEntries(entries(CommandSamples.story(), 1001, 3));

    AppendEntriesRequest got = (AppendEntriesRequest) RaftCodec.decode(RaftCodec.encode(sent));

    assertThat(got.getGroupId()).isEqualTo(GROUP);
    assertThat(got.getSender()).isEqualTo(A);
    assertThat(got.getTerm()).isEqualTo(sent.getTerm());
    assertThat(got.getPreviousLogTerm()).isEqualTo(sent.getPreviousLogTerm());
    assertThat(got.getPreviousLogIndex()).isEqualTo(sent.getPreviousLogIndex());
    assertThat(got.getCommitIndex()).isEqualTo(sent.getCommitIndex());
    assertThat(got.getQuerySequenceNumber()).isEqualTo(sent.getQuerySequenceNumber());
    assertThat(got.getFlowControlSequenceNumber()).isEqualTo(sent.getFlowControlSequenceNumber());
    assertThat(got.getLogEntries()).hasSameSizeAs(sent.getLogEntries());
    for (int i = 0; i < sent.getLogEntries().size(); i++) {
      LogEntry s = sent.getLogEntries().get(i);
      LogEntry g = got.getLogEntries().get(i);
      assertThat(g.getIndex()).isEqualTo(s.getIndex());
      assertThat(g.getTerm()).isEqualTo(s.getTerm());
      assertThat(g.getOperation()).isEqualTo(s.getOperation());
    }
  }

  @Test
  void aSnapshotChunkCarriesItsSliceOfTheState() {
    InstallSnapshotRequest sent = installSnapshot(chunk(slice()));

    InstallSnapshotRequest got = (InstallSnapshotRequest) RaftCodec.decode(RaftCodec.encode(sent));

    assertThat(got.getSnapshotChunk().getOperation()).isEqualTo(sent.getSnapshotChunk().getOperation());
    assertThat(got.getSnapshotChunk().getGroupMembersView().getVotingMembers()).containsExactly(A, B);
    assertThat(got.getSnapshottedMembers()).containsExactly(A, B);
    assertThat(got.isSenderLeader()).isTrue();
  }

  @Test
  void writesEachEndpointOnceInAFrame() {
    Object[] framed = {membersView(), installSnapshot(null), appendEntries(List.of(
        entry(1001, 3, membersOp())))};
    for (Object message : framed) {
      byte[] bytes = RaftCodec.encode(message).getBytes();

      assertThat(occurrences(bytes, "node-a")).as("%s", message).isEqualTo(1);
      assertThat(occurrences(bytes, "node-b")).as("%s", message).isEqualTo(1);
    }
  }

  @Test
  void refusesWhatItCannotWrite() {
    Object numericGroup = F.createVoteResponseBuilder().setGroupId(42).setSender(A).setTerm(1).build();
    RaftEndpoint foreign = () -> "x";
    Object foreignSender = F.createVoteResponseBuilder().setGroupId(GROUP).setSender(foreign).setTerm(1).build();
    Object oddOperation = F.createLogEntryBuilder().setIndex(1).setTerm(1).setOperation("put x").build();

    assertThatThrownBy(() -> RaftCodec.encode(numericGroup)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("group id");
    assertThatThrownBy(() -> RaftCodec.encode(foreignSender)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NodeEndpoint");
    assertThatThrownBy(() -> RaftCodec.encode(oddOperation)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.String");
    assertThatThrownBy(() -> RaftCodec.encode(new JsonObject())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesUnknownTags() {
    assertThatThrownBy(() -> RaftCodec.decode(Buffer.buffer(new byte[] {99})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown Raft message tag 99");
    Buffer unknownOperation = new WireWriter().writeByte(20).writeUnsigned(5).writeUnsigned(1).writeByte(70).buffer();
    assertThatThrownBy(() -> RaftCodec.decode(unknownOperation))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown operation tag 70");
    Buffer unknownCommand = new WireWriter().writeByte(20).writeUnsigned(5).writeUnsigned(1).writeByte(40).buffer();
    assertThatThrownBy(() -> RaftCodec.decode(unknownCommand))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown command tag 40");
  }

  @Test
  void refusesEveryTruncationAndTrailingBytes() {
    for (Object sample : samples()) {
      Buffer frame = RaftCodec.encode(sample);
      for (int n = 0; n < frame.length(); n++) {
        Buffer cut = frame.getBuffer(0, n);
        assertThatThrownBy(() -> RaftCodec.decode(cut)).as("%s cut to %d", sample, n)
            .isInstanceOf(IllegalArgumentException.class);
      }
      Buffer longer = frame.copy().appendByte((byte) 1);
      assertThatThrownBy(() -> RaftCodec.decode(longer)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void corruptFramesFailOnlyWithIllegalArgument() {
    Random random = new Random(7);
    for (Object sample : samples()) {
      Buffer frame = RaftCodec.encode(sample);
      for (int i = 0; i < 500; i++) {
        Buffer corrupt = frame.copy();
        for (int j = 1 + random.nextInt(3); j > 0; j--) {
          corrupt.setByte(random.nextInt(corrupt.length()), (byte) random.nextInt(256));
        }
        Throwable thrown = catchThrowable(() -> RaftCodec.decode(corrupt));
        if (thrown != null) assertThat(thrown).as("%s", sample).isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  @Test
  void anAppendEntriesRequestIsFarSmallerThanTheJsonOfItsCommands() {
    List<Command> commands = new ArrayList<>();
    for (int i = 0; i < 10; i++) commands.add(new SubmitMissions(List.of(realisticSpec(i)), T0 + i * 37));
    int json = 0;
    for (Command c : commands) json += json((SubmitMissions) c).length();
    AppendEntriesRequest request = appendEntries(entries(commands, 1001, 3));

    int binary = RaftCodec.encode(request).length();
    int oneEntry = RaftCodec.encode(appendEntries(entries(commands.subList(0, 1), 1001, 3))).length();
    int commandsAlone = 0;
    for (Command c : commands) commandsAlone += CommandCodec.encode(c).length();
    log.info("AppendEntriesRequest of 10 SubmitMissions (1 mission each): {} bytes; the commands' JSON: {} bytes "
        + "({}x); the commands encoded one by one: {} bytes", binary, json, String.format("%.1f", json / (double) binary),
        commandsAlone);
    log.info("AppendEntriesRequest with 1 SubmitMissions: {} bytes; heartbeat: {} bytes; success response: {} bytes; "
            + "vote request: {} bytes", oneEntry, RaftCodec.encode(appendEntries(List.of())).length(),
        RaftCodec.encode(successResponse()).length(), RaftCodec.encode(voteRequest()).length());

    assertThat(binary).isLessThan(json / 2);
  }

  // ---- samples -------------------------------------------------------------------------------

  /** One or more of every message and persisted model, with realistic contents. */
  private static List<Object> samples() {
    List<Command> story = CommandSamples.story();
    List<LogEntry> entries = new ArrayList<>(entries(story.subList(0, 12), 1001, 3));
    entries.add(entry(1013, 4, membersOp()));
    entries.add(entry(1014, 4, null));
    entries.addAll(entries(story.subList(12, story.size()), 1015, 4));
    List<Object> samples = new ArrayList<>();
    samples.add(voteRequest());
    samples.add(F.createVoteResponseBuilder().setGroupId(GROUP).setSender(B).setTerm(5).setGranted(true).build());
    samples.add(F.createPreVoteRequestBuilder().setGroupId(GROUP).setSender(C).setTerm(6).setLastLogTerm(5)
        .setLastLogIndex(2_100).build());
    samples.add(F.createPreVoteResponseBuilder().setGroupId(GROUP).setSender(A).setTerm(5).setGranted(false).build());
    samples.add(appendEntries(entries));
    samples.add(appendEntries(List.of()));
    samples.add(successResponse());
    samples.add(F.createAppendEntriesFailureResponseBuilder().setGroupId(GROUP).setSender(C).setTerm(4)
        .setExpectedNextIndex(990).setQuerySequenceNumber(0).setFlowControlSequenceNumber(43).build());
    samples.add(installSnapshot(chunk(slice())));
    samples.add(installSnapshot(null));
    samples.add(F.createInstallSnapshotResponseBuilder().setGroupId(GROUP).setSender(B).setTerm(4)
        .setSnapshotIndex(2_000).setRequestedSnapshotChunkIndex(2).setQuerySequenceNumber(3)
        .setFlowControlSequenceNumber(44).build());
    samples.add(F.createTriggerLeaderElectionRequestBuilder().setGroupId(GROUP).setSender(A).setTerm(6)
        .setLastLogTerm(5).setLastLogIndex(2_100).build());
    samples.add(entry(77, 2, story.get(10)));
    samples.add(chunk(ControlSnapshot.EMPTY));
    samples.add(membersView());
    samples.add(F.createRaftEndpointPersistentStateBuilder().setLocalEndpoint(C).setVoting(false).build());
    samples.add(F.createRaftTermPersistentStateBuilder().setTerm(6).setVotedFor(B).build());
    samples.add(F.createRaftTermPersistentStateBuilder().setTerm(7).setVotedFor(null).build());
    return samples;
  }

  private static RaftMessage voteRequest() {
    return F.createVoteRequestBuilder().setGroupId(GROUP).setSender(A).setTerm(5).setLastLogTerm(4)
        .setLastLogIndex(1_234).setSticky(true).build();
  }

  private static RaftMessage successResponse() {
    return F.createAppendEntriesSuccessResponseBuilder().setGroupId(GROUP).setSender(B).setTerm(4)
        .setLastLogIndex(1_034).setQuerySequenceNumber(17).setFlowControlSequenceNumber(42).build();
  }

  private static AppendEntriesRequest appendEntries(List<LogEntry> entries) {
    return F.createAppendEntriesRequestBuilder().setGroupId(GROUP).setSender(A).setTerm(4).setPreviousLogTerm(3)
        .setPreviousLogIndex(1_000).setCommitIndex(998).setLogEntries(entries).setQuerySequenceNumber(17)
        .setFlowControlSequenceNumber(42).build();
  }

  private static InstallSnapshotRequest installSnapshot(SnapshotChunk chunk) {
    return F.createInstallSnapshotRequestBuilder().setGroupId(GROUP).setSender(A).setTerm(4).setSenderLeader(true)
        .setSnapshotTerm(4).setSnapshotIndex(2_000).setTotalSnapshotChunkCount(3).setSnapshotChunk(chunk)
        .setSnapshottedMembers(chunk == null ? List.of() : List.of(A, B)).setGroupMembersView(membersView())
        .setQuerySequenceNumber(3).setFlowControlSequenceNumber(44).build();
  }

  private static SnapshotChunk chunk(ControlSnapshot slice) {
    return F.createSnapshotChunkBuilder().setIndex(2_000).setTerm(4).setSnapshotChunkIndex(1).setSnapshotChunkCount(3)
        .setGroupMembersView(membersView()).setOperation(slice).build();
  }

  /** Part of a state: its missions only, as a chunk of a state split in several would hold. */
  private static ControlSnapshot slice() {
    ControlSnapshot whole = Replica.fresh().applyAll(CommandSamples.story()).state.snapshot();
    return new ControlSnapshot(whole.index(), whole.seq(), List.of(), whole.missions(), whole.keys(), whole.term());
  }

  private static RaftGroupMembersView membersView() {
    return F.createRaftGroupMembersViewBuilder().setLogIndex(1_013).setMembers(List.of(A, B, C))
        .setVotingMembers(List.of(A, B)).build();
  }

  private static Object membersOp() {
    return F.createUpdateRaftGroupMembersOpBuilder().setMembers(List.of(A, B, C)).setVotingMembers(List.of(A, B))
        .setEndpoint(C).setMode(MembershipChangeMode.ADD_LEARNER).build();
  }

  private static LogEntry entry(long index, int term, Object operation) {
    return F.createLogEntryBuilder().setIndex(index).setTerm(term).setOperation(operation).build();
  }

  private static List<LogEntry> entries(List<Command> commands, long firstIndex, int term) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) out.add(entry(firstIndex + i, term, commands.get(i)));
    return out;
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The message interfaces MicroRaft ships, read from its jar so that a new one shows up here. */
  private static List<Class<?>> microRaftMessageTypes() throws Exception {
    File jarFile = new File(RaftMessage.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Class<?>> types = new ArrayList<>();
    try (JarFile jar = new JarFile(jarFile)) {
      for (JarEntry e : jar.stream().toList()) {
        String name = e.getName();
        if (!name.startsWith("io/microraft/model/message/") || !name.endsWith(".class") || name.contains("$")) {
          continue;
        }
        Class<?> type = Class.forName(name.substring(0, name.length() - 6).replace('/', '.'));
        if (type != RaftMessage.class && RaftMessage.class.isAssignableFrom(type)) types.add(type);
      }
    }
    return types;
  }

  /** The command as a JSON codec would carry it. */
  private static String json(SubmitMissions c) {
    List<JsonObject> missions = new ArrayList<>();
    for (MissionSpec s : c.missions()) {
      JsonObject m = new JsonObject().put("id", s.id()).put("type", s.type()).put("priority", s.priority())
          .put("payload", s.payload()).put("requirements", s.requirements().toJson())
          .put("timeoutSec", s.timeoutSec()).put("maxAttempts", s.maxAttempts());
      if (s.deadline() != null) m.put("deadline", s.deadline());
      if (s.idempotencyKey() != null) m.put("idempotencyKey", s.idempotencyKey());
      missions.add(m.put("requestHash", s.requestHash()));
    }
    return new JsonObject(Map.of("type", "SubmitMissions", "at", c.at(), "missions", missions)).encode();
  }

  private static int occurrences(byte[] bytes, String text) {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    int count = 0;
    outer:
    for (int i = 0; i + needle.length <= bytes.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (bytes[i + j] != needle[j]) continue outer;
      }
      count++;
    }
    return count;
  }
}
