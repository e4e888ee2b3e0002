package io.falconmind.center.raft;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlPolicy;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.ControlStateMachine;
import io.falconmind.center.control.Device;
import io.microraft.RaftConfig;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.model.message.RaftMessage;
import io.microraft.transport.Transport;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static io.falconmind.center.raft.CommandSamples.story;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three MicroRaft members whose every message goes through {@link RaftCodec} (encode, then decode
 * what the bytes say): the codec against the messages MicroRaft really sends, including a snapshot
 * installed on a member that fell behind.
 */
@Timeout(60)
class RaftCodecClusterTest {

  private static final Logger log = LoggerFactory.getLogger(RaftCodecClusterTest.class);
  private static final List<NodeEndpoint> MEMBERS =
      List.of(new NodeEndpoint("node-a"), new NodeEndpoint("node-b"), new NodeEndpoint("node-c"));

  private final Map<RaftEndpoint, Member> members = new ConcurrentHashMap<>();
  private final Set<RaftEndpoint> cutOff = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicLong> bytesByType = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> countByType = new ConcurrentHashMap<>();

  /** One member: its Raft node and what its state machine applied, recorded on the node's thread. */
  private static final class Member {
    final AtomicReference<RaftNode> node = new AtomicReference<>();
    final Map<Long, List<Object>> applied = new ConcurrentSkipListMap<>();
    volatile ControlSnapshot latest = ControlSnapshot.EMPTY;
  }

  @AfterEach
  void terminate() {
    members.values().forEach(m -> m.node.get().terminate().join());
  }

  @Test
  void aClusterTalkingThroughTheCodecAgreesAndCatchesUpALaggingMemberWithASnapshot() {
    MEMBERS.forEach(this::start);
    NodeEndpoint lagging = MEMBERS.get(2);
    cutOff.add(lagging);
    RaftNode leader = awaitLeaderAmong(MEMBERS.subList(0, 2));

    for (Command command : story()) leader.replicate(command).join();
    cutOff.clear();
    // one more entry after the snapshot, so that every member applies something once caught up
    long last = leader.replicate(new Command.ExpireMissions(List.of(), 0, CommandSamples.T0)).join().getCommitIndex();
    // every member at the same index, that entry or a later one: a leader elected meanwhile (a slow
    // machine can miss a heartbeat) commits an entry of its own term after it
    awaitTrue(() -> {
      long index = members.get(MEMBERS.get(0)).latest.index();
      return index >= last && MEMBERS.stream().allMatch(e -> members.get(e).latest.index() == index);
    });

    Member a = members.get(MEMBERS.get(0));
    Member b = members.get(MEMBERS.get(1));
    Member c = members.get(lagging);
    log.info("Raft traffic through the codec: {}", traffic());
    assertThat(countByType).containsKey("InstallSnapshotRequest");
    assertThat(b.applied).isEqualTo(a.applied);
    assertThat(c.applied).as("applied only what followed the snapshot").doesNotContainKey(1L).containsKey(last);
    c.applied.forEach((index, outcome) ->
        assertThat(sameActive(outcome)).as("entry %d", index).isEqualTo(sameActive(a.applied.get(index))));
    assertThat(contents(c.latest)).isEqualTo(contents(a.latest));
  }

  // ---- the cluster ---------------------------------------------------------------------------

  private void start(NodeEndpoint self) {
    Member member = new Member();
    members.put(self, member);
    ControlState state = new ControlState();
    ControlStateMachine machine = new ControlStateMachine(state, ControlPolicy.DEFAULT);
    ControlStateMachineAdapter adapter = new ControlStateMachineAdapter(machine,
        (previous, command, applied) -> record(member, state, applied), System::currentTimeMillis,
        () -> member.node.get().getTerm().getTerm(), self.id());
    RaftConfig config = RaftConfig.newBuilder().setLeaderElectionTimeoutMillis(300).setLeaderHeartbeatPeriodSecs(1)
        .setLeaderHeartbeatTimeoutSecs(3).setCommitCountToTakeSnapshot(10).build();
    RaftNode node = RaftNode.newBuilder().setGroupId("center").setLocalEndpoint(self)
        .setInitialGroupMembers(List.copyOf(MEMBERS)).setConfig(config).setTransport(new CodecTransport(self))
        .setStateMachine(adapter).build();
    member.node.set(node);
    node.start();
  }

  private static void record(Member member, ControlState state, Applied applied) {
    member.applied.put(applied.index(), Replica.describe(applied));
    member.latest = state.snapshot();
  }

  /** Delivers every message as the bytes the codec makes of it; drops traffic of cut-off members. */
  private final class CodecTransport implements Transport {
    private final RaftEndpoint self;

    CodecTransport(RaftEndpoint self) {
      this.self = self;
    }

    @Override
    public void send(RaftEndpoint target, RaftMessage message) {
      if (cutOff.contains(self) || cutOff.contains(target)) return;
      Buffer frame = RaftCodec.encode(message);
      String type = message.getClass().getSimpleName().replace("Default", "").replace("OrBuilder", "");
      bytesByType.computeIfAbsent(type, k -> new AtomicLong()).addAndGet(frame.length());
      countByType.computeIfAbsent(type, k -> new AtomicLong()).incrementAndGet();
      members.get(target).node.get().handle((RaftMessage) RaftCodec.decode(frame));
    }

    @Override
    public boolean isReachable(RaftEndpoint endpoint) {
      return !cutOff.contains(endpoint) && !cutOff.contains(self);
    }
  }

  private RaftNode awaitLeaderAmong(List<NodeEndpoint> candidates) {
    AtomicReference<RaftNode> leader = new AtomicReference<>();
    awaitTrue(() -> {
      for (NodeEndpoint e : candidates) {
        RaftNode node = members.get(e).node.get();
        if (e.equals(node.getTerm().getLeaderEndpoint())) {
          leader.set(node);
          return true;
        }
      }
      return false;
    });
    return leader.get();
  }

  private static void awaitTrue(BooleanSupplier condition) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met in 30 s");
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  // ---- comparisons ---------------------------------------------------------------------------

  private String traffic() {
    Map<String, String> out = new TreeMap<>();
    countByType.forEach((type, n) -> out.put(type, n.get() + " msgs, " + bytesByType.get(type).get() + " B"));
    return out.toString();
  }

  /**
   * A restored state lists a device's active missions in the order of the snapshot, not of
   * assignment (see {@code ControlState.restore}); compare them as sets.
   */
  private static Object sameActive(Object value) {
    if (value instanceof Device d) {
      return List.of(new Device(d.id(), d.name(), d.tokenHash(), d.kind(), d.capabilities(), d.capacity(), d.specs(),
          d.labels(), d.online(), d.nodeId(), d.draining(), d.registeredAt(), d.updatedAt(), d.connectedAt(),
          d.disconnectedAt(), List.of()), Set.copyOf(d.activeMissions()));
    }
    if (value instanceof List<?> list) return list.stream().map(RaftCodecClusterTest::sameActive).toList();
    return value;
  }

  private static Map<String, Object> contents(ControlSnapshot s) {
    Map<String, Object> out = new TreeMap<>();
    s.devices().forEach(d -> out.put("device " + d.id(), sameActive(d)));
    s.missions().forEach(m -> out.put("mission " + m.id(), m));
    s.keys().forEach((k, use) -> out.put("key " + k, use));
    out.put("index/seq/term", List.of(s.index(), s.seq(), s.term()));
    return out;
  }
}
