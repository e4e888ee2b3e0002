package io.falconmind.center.raft;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlException;
import io.falconmind.center.control.ControlPolicy;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.ControlStateMachine;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;

import io.falconmind.center.control.NodeStatus;
import io.falconmind.center.control.PersistedEvents;
import io.microraft.RaftConfig;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.exception.CannotReplicateException;
import io.microraft.exception.IndeterminateStateException;
import io.microraft.exception.NotLeaderException;
import io.microraft.report.RaftNodeReport;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;

/**
 * Hosts this node's MicroRaft member and the control state it replicates. Serves
 * {@link ControlClient}: proposals ({@link ControlClient#PROPOSE}), reads ({@link ControlClient#QUERY}),
 * and publishes every applied command on {@link ControlClient#APPLIED}. A proposal is answered once
 * its command is committed and, unless the caller asked for {@code committed}, once the store has
 * persisted it ({@link ControlClient#PERSISTED}). All of it runs on this verticle's context.
 */
public final class RaftVerticle extends VerticleBase {

  /** Local publish of {@link NodeStatus} whenever this member's role, term or leader changes. */
  public static final String ROLE = "center.control.role";

  private static final Logger log = LoggerFactory.getLogger(RaftVerticle.class);

  private final String nodeId;
  private final CenterConfig.Raft config;
  private final ControlPolicy policy;
  private final ControlSnapshot initial;

  /** A proposal committed but not yet persisted, answered once the store catches up. */
  private record Pending(Message<Command> message, Applied applied) {
  }

  private final NavigableMap<Long, List<Pending>> awaitingPersistence = new TreeMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
  private ControlState state;
  private RaftNode raftNode;
  private volatile NodeStatus status;
  private long persistedIndex;
  private long persistedSeq;

  public RaftVerticle(String nodeId, CenterConfig.Raft config, ControlPolicy policy, ControlSnapshot initial) {
    this.nodeId = nodeId;
    this.config = config;
    this.policy = policy;
    this.initial = initial;
  }

  @Override
  public Future<?> start() {
    ControlClient.registerCodecs(vertx);
    state = new ControlState();
    state.restore(initial);
    persistedSeq = initial.seq();
    status = new NodeStatus(nodeId, "NONE", 0, null, 0, 0, 0, state.seq(), persistedSeq);
    RaftEndpoint self = new NodeEndpoint(nodeId);
    ControlStateMachine machine = new ControlStateMachine(state, policy);
    raftNode = RaftNode.newBuilder()
        .setGroupId("center")
        .setLocalEndpoint(self)
        .setInitialGroupMembers(List.of(self))
        .setConfig(raftConfig())
        .setExecutor(new ContextExecutor(context))
        .setTransport(new SingleMemberTransport(self))
        .setStateMachine(new ControlStateMachineAdapter(machine, this::publishApplied, System::currentTimeMillis,
            () -> raftNode.getTerm().getTerm(), nodeId))
        .setRaftNodeReportListener(this::onReport)
        .setClock(new MonotonicClock())
        .build();
    var bus = vertx.eventBus();
    consumers.add(bus.<Command>localConsumer(ControlClient.PROPOSE, this::onPropose));
    consumers.add(bus.<ControlClient.Query>localConsumer(ControlClient.QUERY, this::onQuery));
    consumers.add(bus.<PersistedEvents>localConsumer(ControlClient.PERSISTED, m -> onPersisted(m.body())));
    List<Future<?>> ready = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) ready.add(c.completion());
    return Future.all(ready)
        .compose(v -> Future.fromCompletionStage(raftNode.start(), context))
        .onSuccess(v -> log.info("Raft member {} started (log continues from seq {})", nodeId, state.seq()));
  }

  @Override
  public Future<?> stop() {
    failAwaiting(new ControlException(503, "shutting-down", "the node is shutting down; retry"));
    if (raftNode == null) return Future.succeededFuture();
    return Future.fromCompletionStage(raftNode.terminate(), context).otherwiseEmpty();
  }

  private RaftConfig raftConfig() {
    return RaftConfig.newBuilder()
        .setLeaderElectionTimeoutMillis(config.electionTimeoutMs())
        .setLeaderHeartbeatPeriodSecs(config.heartbeatPeriodSec())
        .setLeaderHeartbeatTimeoutSecs(config.heartbeatTimeoutSec())
        .setMaxPendingLogEntryCount(config.maxPendingEntries())
        .setCommitCountToTakeSnapshot(config.snapshotEveryEntries())
        .setRaftNodeReportPublishPeriodSecs(5)
        .build();
  }

  private void publishApplied(Applied applied) {
    vertx.eventBus().publish(ControlClient.APPLIED, applied, local);
  }

  // ---- proposals ----------------------------------------------------------------------------

  private void onPropose(Message<Command> message) {
    boolean committedOnly = ControlClient.ACK_COMMITTED.equals(message.headers().get(ControlClient.ACK_HEADER));
    raftNode.<Applied>replicate(message.body()).whenComplete((ordered, error) -> context.runOnContext(v -> {
      if (error != null) {
        ControlException e = translate(error);
        message.fail(e.status(), ControlClient.encodeFailure(e));
        return;
      }
      Applied applied = ordered.getResult();
      if (committedOnly || applied.index() <= persistedIndex) {
        message.reply(applied, local);
      } else {
        awaitingPersistence.computeIfAbsent(applied.index(), k -> new ArrayList<>(1)).add(new Pending(message, applied));
      }
    }));
  }

  private void onPersisted(PersistedEvents persisted) {
    persistedIndex = Math.max(persistedIndex, persisted.index());
    persistedSeq = Math.max(persistedSeq, persisted.seq());
    var done = awaitingPersistence.headMap(persistedIndex, true);
    if (done.isEmpty()) return;
    for (List<Pending> list : done.values()) {
      for (Pending p : list) p.message().reply(p.applied(), local);
    }
    done.clear();
  }

  private void failAwaiting(ControlException e) {
    for (List<Pending> list : awaitingPersistence.values()) {
      for (Pending p : list) p.message().fail(e.status(), ControlClient.encodeFailure(e));
    }
    awaitingPersistence.clear();
  }

  private static ControlException translate(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof NotLeaderException) {
      return new ControlException(503, "no-leader", "this node is not the Raft leader yet; retry");
    }
    if (cause instanceof CannotReplicateException) {
      return new ControlException(503, "overloaded", "too many commands are waiting to be committed; retry");
    }
    if (cause instanceof IndeterminateStateException) {
      return new ControlException(504, "indeterminate",
          "leadership changed before the command was known to be committed; retry with the same idempotency key");
    }
    return new ControlException(500, "internal", String.valueOf(cause));
  }

  // ---- reads --------------------------------------------------------------------------------

  private void onQuery(Message<ControlClient.Query> message) {
    ControlClient.Query q = message.body();
    Object answer = switch (q.op()) {
      case "mission" -> state.mission(q.id());
      case "device" -> state.device(q.id());
      case "devices" -> new ArrayList<>(state.devices());
      case "openAssignments" -> new ArrayList<Mission>(state.openAssignments(q.id()));
      case "snapshot" -> state.snapshot();
      case "stats" -> stats();
      case "status" -> currentStatus();
      default -> null;
    };
    if (answer == null && !q.op().equals("mission") && !q.op().equals("device")) {
      message.fail(400, "400|bad-query|unknown query " + q.op());
      return;
    }
    message.reply(answer, local);
  }

  private JsonObject stats() {
    Map<MissionState, Integer> counts = new EnumMap<>(MissionState.class);
    for (var s : MissionState.values()) counts.put(s, 0);
    for (Mission m : state.missions()) counts.merge(m.state(), 1, Integer::sum);
    JsonObject missions = new JsonObject();
    counts.forEach((s, n) -> missions.put(s.name(), n));
    int online = 0;
    for (var d : state.devices()) if (d.online()) online++;
    return new JsonObject().put("missions", missions)
        .put("queued", counts.get(MissionState.QUEUED))
        .put("devices", state.devices().size()).put("devicesOnline", online)
        .put("seq", state.seq()).put("index", state.index());
  }

  private NodeStatus currentStatus() {
    NodeStatus s = status;
    return new NodeStatus(nodeId, s.role(), s.term(), s.leader(), s.commitIndex(), state.index(),
        persistedIndex, state.seq(), persistedSeq);
  }

  private void onReport(RaftNodeReport report) {
    RaftEndpoint leader = report.getTerm().getLeaderEndpoint();
    NodeStatus previous = status;
    status = new NodeStatus(nodeId, report.getRole().name(), report.getTerm().getTerm(),
        leader == null ? null : String.valueOf(leader.getId()), report.getLog().getCommitIndex(),
        state.index(), persistedIndex, state.seq(), persistedSeq);
    if (!status.role().equals(previous.role()) || status.term() != previous.term()
        || !Objects.equals(status.leader(), previous.leader())) {
      log.info("Raft member {}: {} in term {}, leader {}", nodeId, status.role(), status.term(), status.leader());
      vertx.eventBus().publish(ROLE, currentStatus(), local);
    }
  }
}
