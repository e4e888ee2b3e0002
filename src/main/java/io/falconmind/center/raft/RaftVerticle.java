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
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;
import io.falconmind.center.control.NodeStatus;
import io.falconmind.center.control.PersistedEvents;
import io.falconmind.center.store.StoreClient;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftConfig;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.RaftRole;
import io.microraft.exception.CannotReplicateException;
import io.microraft.exception.IndeterminateStateException;
import io.microraft.exception.NotLeaderException;
import io.microraft.exception.RaftException;
import io.microraft.model.message.RaftMessage;
import io.microraft.report.RaftGroupMembers;
import io.microraft.report.RaftNodeReport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.falconmind.center.raft.PeerAddresses.skippingWarmUps;

/**
 * Hosts this node's part of the control plane: the replicated control state, and either a MicroRaft
 * member (voter or learner) or, on a gateway, a follower of the leader's ordered stream of applied
 * commands. Serves {@link ControlClient}: proposals ({@link ControlClient#PROPOSE}, forwarded to the
 * leader from any other node), reads ({@link ControlClient#QUERY}), and publishes every applied
 * command on {@link ControlClient#APPLIED}. A proposal is answered once its command is committed
 * and, unless the caller asked for {@code committed}, persisted.
 *
 * <p>In a cluster, every node announces itself on {@link Presence#ADDRESS}. A new group forms once
 * {@code bootstrapExpect} nodes are present and no group is alive: its first voters and learners
 * load the state from PostgreSQL; every other node is a gateway. The leader keeps the group whole:
 * a voter absent past the grace period is removed and a learner promoted, and a gateway is enlisted
 * as a learner when one is missing. A node that stops hands leadership over and leaves the group.
 * Everything runs on this verticle's context.
 */
public final class RaftVerticle extends VerticleBase {

  /** Local publish of {@link NodeStatus} whenever this member's role, term or leader changes. */
  public static final String ROLE = "center.control.role";
  /** Clustered publish of the leader's applied commands ({@link Frames#ENTRIES}), for gateways. */
  static final String STREAM = "center.raft.stream";

  private static final Logger log = LoggerFactory.getLogger(RaftVerticle.class);
  private static final String GROUP_MAP = "center.raft";
  private static final String GROUP_KEY = "group";
  private static final String BOOTSTRAP_LOCK = "center.raft.bootstrap";
  private static final long TICK_MS = 250;
  /** The code of a forward the addressed node refused because it does not lead (nothing was replicated). */
  private static final String NOT_LEADER = "not-leader";
  private static final long FORWARD_TIMEOUT_MS = 10_000;
  private static final int CATCH_UP_BATCH = 5_000;
  private static final int APPLIED_LOG_ENTRIES = 20_000;
  /** A learner this far behind the leader's commit index is not promoted yet. */

  private enum Mode { JOINING, MEMBER, GATEWAY }

  private final String nodeId;
  /** This node's Raft identity: node id and incarnation; a new one when the node must rejoin. */
  private String endpoint;
  private NodeEndpoint self;
  private final List<MessageConsumer<?>> endpointConsumers = new ArrayList<>();
  private int orphanTicks;
  private final MonotonicClock raftClock = new MonotonicClock();
  /** When this follower last heard the leader, by {@link #raftClock}; -1 when unknown. */
  private long leaderHeardAt = -1;
  private boolean reportPending;
  private final CenterConfig.Raft config;
  private final Clustering cluster;
  private final ControlPolicy policy;
  private final ControlSnapshot initial;

  /** A proposal waiting for a leader to be known again, until {@code waitUntil} (nanoTime). */
  private record AwaitingLeader(Message<Command> message, long waitUntil) {
  }

  /** A proposal forwarded to {@code leader}, waiting for its answer. */
  private record Forwarded(String leader, Message<Command> message) {
  }

  /** A reply that waits until its entry is persisted (or, for forwarded results, applied here). */
  private record Waiter(Runnable done, java.util.function.Consumer<ControlException> failed, long sinceNanos) {
  }

  private final NavigableMap<Long, List<Waiter>> awaitingPersistence = new TreeMap<>();
  private final NavigableMap<Long, List<Waiter>> awaitingApply = new TreeMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
  private final EventBusTransport.Metrics transportMetrics = new EventBusTransport.Metrics();
  private GroupUpkeep upkeep;
  private final Map<String, Long> nodeAbsentSince = new HashMap<>();
  private final List<AppliedLog.Entry> streamOut = new ArrayList<>();
  /** The most recently applied entries, so a forwarded proposal is answered with this node's events. */
  private final Map<Long, Applied> recentlyApplied = new java.util.LinkedHashMap<>(1024, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Applied> eldest) {
      return size() > 4096;
    }
  };
  /** Proposals forwarded to a leader and not answered yet, by a local id. */
  private final Map<Long, Forwarded> forwarded = new HashMap<>();
  /** Proposals that came while the leader changed hands; retried as soon as a leader is known. */
  private final List<AwaitingLeader> awaitingLeader = new ArrayList<>();
  /** When this node last knew a leader (nanoTime; 0: never). */
  private long leaderKnownNanos;
  private long forwardIds;
  private ControlState state;
  private ControlStateMachine machine;
  private AppliedLog appliedLog;
  private Presence presence;
  private StoreClient store;
  private Mode mode = Mode.JOINING;
  private String group;
  private RaftNode raftNode;
  private RaftNodeReport report;
  private MessageConsumer<Buffer> streamConsumer;
  private volatile NodeStatus status;
  private long persistedIndex;
  private long persistedSeq;
  private long leaderChanges;
  private String lastLeader;
  private boolean snapshotAfterStart;
  private boolean bootstrapping;
  private boolean catchingUp;
  /** A gateway has the state of its group only once it installed a snapshot from the leader. */
  private boolean synced;
  private boolean changingMembers;
  /** Leadership is being handed over after MicroRaft failed inside this leader. */
  private boolean recovering;
  private boolean stopping;
  private long lastLeaderContactNanos;
  private long lastWaitLogNanos;
  private long streamedBytes;
  private io.vertx.core.spi.cluster.ClusterManager clusterManager;
  /** The leader's cluster-manager node and the term it leads, to notice at once when it is gone. */
  private String leaderHzNode;
  private long electionTriggeredInTerm = -1;

  public RaftVerticle(String nodeId, CenterConfig.Raft config, Clustering cluster, ControlPolicy policy,
                      ControlSnapshot initial) {
    this.nodeId = nodeId;
    this.endpoint = cluster.enabled() ? incarnation(nodeId) : nodeId;
    this.self = new NodeEndpoint(endpoint);
    this.config = config;
    this.cluster = cluster;
    this.policy = policy;
    this.initial = initial;
  }

  private static String incarnation(String nodeId) {
    return nodeId + "." + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36)
        + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
  }

  /** The consumers addressed to this node's endpoint. */
  private List<MessageConsumer<?>> registerEndpointConsumers() {
    var bus = vertx.eventBus();
    endpointConsumers.add(bus.<Buffer>consumer(PeerAddresses.raft(endpoint), skippingWarmUps(this::onRaftMessage)));
    endpointConsumers.add(bus.<Buffer>consumer(PeerAddresses.forward(endpoint), skippingWarmUps(this::onForward)));
    endpointConsumers.add(bus.<JsonObject>consumer(PeerAddresses.catchUp(endpoint), skippingWarmUps(this::onCatchUp)));
    endpointConsumers.add(bus.<JsonObject>consumer(PeerAddresses.enlist(endpoint), skippingWarmUps(this::onEnlist)));
    endpointConsumers.add(bus.<JsonObject>consumer(PeerAddresses.leave(endpoint), skippingWarmUps(this::onLeave)));
    return endpointConsumers;
  }

  @Override
  public Future<?> start() {
    ControlClient.registerCodecs(vertx);
    store = new StoreClient(vertx);
    state = new ControlState();
    state.restore(initial);
    machine = new ControlStateMachine(state, policy);
    appliedLog = new AppliedLog(APPLIED_LOG_ENTRIES);
    persistedSeq = initial.seq();
    presence = new Presence(Math.max(3_000L, 2_000L * config.heartbeatTimeoutSec()));
    upkeep = new GroupUpkeep(cluster.voters(), cluster.learners(), TimeUnit.SECONDS.toNanos(cluster.voterGraceSec()));
    status = new NodeStatus(nodeId, "NONE", 0, null, 0, 0, 0, state.seq(), persistedSeq, endpoint, null, 0);
    var bus = vertx.eventBus();
    consumers.add(bus.<Command>localConsumer(ControlClient.PROPOSE, this::onPropose));
    consumers.add(bus.<ControlClient.Query>localConsumer(ControlClient.QUERY, this::onQuery));
    consumers.add(bus.<PersistedEvents>localConsumer(ControlClient.PERSISTED, m -> onPersisted(m.body())));
    if (cluster.enabled()) {
      clusterManager = ((io.vertx.core.internal.VertxInternal) vertx).clusterManager();
      consumers.addAll(registerEndpointConsumers());
      consumers.add(bus.<JsonObject>consumer(Presence.ADDRESS, m -> onPresence(m.body())));
    }
    List<Future<?>> ready = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) ready.add(c.completion());
    return Future.all(ready).compose(v -> {
      if (!cluster.enabled()) {
        group = "standalone";
        return startMember(List.of(self), List.of(self), new SingleMemberTransport(self))
            .onSuccess(x -> log.info("Raft member {} started (log continues from seq {})", nodeId, state.seq()));
      }
      vertx.setPeriodic(Presence.PERIOD_MS, id -> announce());
      vertx.setPeriodic(TICK_MS, id -> tick());
      announce();
      log.info("node {} joins the cluster as Raft endpoint {}; waiting for a group ({} nodes expected)", nodeId,
          endpoint, cluster.bootstrapExpect());
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    Future<Void> leaving = mode == Mode.MEMBER && cluster.enabled() ? leaveGroup() : Future.succeededFuture();
    return leaving.compose(v -> {
      ControlException shuttingDown = new ControlException(503, "shutting-down", "the node is shutting down; retry");
      failAll(shuttingDown);
      awaitingLeader.forEach(a -> a.message().fail(shuttingDown.status(), ControlClient.encodeFailure(shuttingDown)));
      awaitingLeader.clear();
      if (raftNode == null) return Future.succeededFuture();
      return Future.fromCompletionStage(raftNode.terminate(), context).otherwiseEmpty();
    });
  }

  private void onPresence(JsonObject info) {
    if (presence.heard(info, System.nanoTime()) && !endpoint.equals(info.getString("endpoint"))) {
      PeerAddresses.warmUp(vertx.eventBus(), info.getString("endpoint"));
    }
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

  // ---- the Raft member ----------------------------------------------------------------------

  private Future<Void> startMember(List<RaftEndpoint> members, List<RaftEndpoint> voters,
                                   io.microraft.transport.Transport transport) {
    ControlStateMachineAdapter adapter = new ControlStateMachineAdapter(machine, new ControlStateMachineAdapter.Listener() {
      @Override
      public void applied(long previousIndex, Command command, Applied applied) {
        onApplied(previousIndex, command, applied);
      }

      @Override
      public void restored(ControlSnapshot snapshot) {
        onRestored(snapshot);
      }
    }, System::currentTimeMillis, () -> raftNode.getTerm().getTerm(), endpoint);
    raftNode = RaftNode.newBuilder()
        .setGroupId(group)
        .setLocalEndpoint(self)
        .setInitialGroupMembers(members, voters)
        .setConfig(raftConfig())
        .setExecutor(new ContextExecutor(context))
        .setTransport(transport)
        .setStateMachine(adapter)
        .setRaftNodeReportListener(this::onReport)
        .setClock(raftClock)
        .build();
    mode = Mode.MEMBER;
    return Future.fromCompletionStage(raftNode.start(), context).mapEmpty();
  }

  private void onRaftMessage(Message<Buffer> message) {
    RaftNode node = raftNode;
    if (node == null) return;
    try {
      node.handle((RaftMessage) RaftCodec.decode(message.body()));
    } catch (RuntimeException e) {
      log.warn("dropped an undecodable Raft message: {}", e.toString());
    }
  }

  private boolean isLeader() {
    return mode == Mode.MEMBER && report != null && report.getRole() == RaftRole.LEADER;
  }

  private void onApplied(long previousIndex, Command command, Applied applied) {
    appliedLog.add(new AppliedLog.Entry(previousIndex, applied.index(), command));
    recentlyApplied.put(applied.index(), applied);
    vertx.eventBus().publish(ControlClient.APPLIED, applied, local);
    if (isLeader() && cluster.enabled()) {
      if (streamOut.isEmpty()) context.runOnContext(v -> flushStream());
      streamOut.add(new AppliedLog.Entry(previousIndex, applied.index(), command));
    }
    if (snapshotAfterStart && raftNode != null && applied.index() > 0) {
      // A new group's base state came from PostgreSQL, outside the log: a snapshot on every initial
      // member makes sure a member added later receives it.
      snapshotAfterStart = false;
      context.runOnContext(v -> raftNode.takeSnapshot().whenComplete((r, e) -> {
        if (e != null) log.warn("first snapshot of the group not taken: {}", e.toString());
      }));
    }
    releaseApplied();
  }

  private void onRestored(ControlSnapshot snapshot) {
    appliedLog.clear();
    recentlyApplied.clear();
    log.info("state restored from a snapshot at index {} (seq {})", snapshot.index(), snapshot.seq());
    vertx.eventBus().publish(ControlClient.RESTORED, snapshot, local);
    releaseApplied();
  }

  private void flushStream() {
    if (streamOut.isEmpty()) return;
    Buffer frame = Frames.entries(group, report == null ? 0 : report.getTerm().getTerm(), List.copyOf(streamOut));
    streamOut.clear();
    streamedBytes += frame.length();
    vertx.eventBus().publish(STREAM, frame);
  }

  // ---- proposals ----------------------------------------------------------------------------

  private void onPropose(Message<Command> message) {
    propose(message, System.nanoTime() + leaderWaitNanos());
  }

  /**
   * Replicates {@code message} here when this node leads, else forwards it to the leader. When no
   * leader is known, or the one it was sent to no longer leads, and one was known moments ago (a
   * hand-over or a change of members is under way), it waits for the next until {@code waitUntil}
   * rather than refuse; a node that has not known a leader for longer refuses at once.
   */
  private void propose(Message<Command> message, long waitUntil) {
    boolean committedOnly = ControlClient.ACK_COMMITTED.equals(message.headers().get(ControlClient.ACK_HEADER));
    if (mode == Mode.MEMBER && (!cluster.enabled() || isLeader())) {
      replicate(message.body(), committedOnly, applied -> message.reply(applied, local),
          e -> refuseOrAwaitLeader(message, waitUntil, e));
      return;
    }
    String leader = currentLeader();
    if (leader == null) {
      awaitLeaderOrRefuse(message, waitUntil);
      return;
    }
    Buffer frame = Frames.forward(committedOnly, CommandCodec.encode(message.body()));
    long id = ++forwardIds;
    forwarded.put(id, new Forwarded(leader, message));
    vertx.eventBus().<Buffer>request(PeerAddresses.forward(leader), frame,
            new DeliveryOptions().setSendTimeout(FORWARD_TIMEOUT_MS))
        .onComplete(ar -> {
          if (forwarded.remove(id) == null) return;
          if (ar.failed()) {
            refuseOrAwaitLeader(message, waitUntil, forwardFailure(ar.cause()));
            return;
          }
          Message<Buffer> reply = ar.result();
          long index = Frames.resultIndex(reply.body());
          JsonObject result = new JsonObject(Frames.resultReply(reply.body()));
          whenApplied(index, () -> {
            Applied here = recentlyApplied.get(index);
            message.reply(new Applied(index, here == null ? List.of() : here.events(), result), local);
          });
        });
  }

  /** Fails {@code message} with {@code e}, unless {@code e} says the node asked does not lead: nothing was replicated then. */
  private void refuseOrAwaitLeader(Message<Command> message, long waitUntil, ControlException e) {
    if (NOT_LEADER.equals(e.code())) {
      awaitLeaderOrRefuse(message, waitUntil);
    } else {
      message.fail(e.status(), ControlClient.encodeFailure(e));
    }
  }

  private void awaitLeaderOrRefuse(Message<Command> message, long waitUntil) {
    long now = System.nanoTime();
    if (!stopping && now < waitUntil && !leaderLost() && leaderKnownNanos != 0
        && now - leaderKnownNanos < leaderWaitNanos()) {
      awaitingLeader.add(new AwaitingLeader(message, waitUntil));
      return;
    }
    ControlException e = noLeader();
    message.fail(e.status(), ControlClient.encodeFailure(e));
  }

  /** Sends on the proposals waiting for a leader once one is known; refuses those whose wait is over. */
  private void releaseAwaitingLeader() {
    if (awaitingLeader.isEmpty()) return;
    boolean known = (mode == Mode.MEMBER && isLeader()) || currentLeader() != null;
    long now = System.nanoTime();
    List<AwaitingLeader> waiting = List.copyOf(awaitingLeader);
    awaitingLeader.clear();
    for (AwaitingLeader a : waiting) {
      if (known || now >= a.waitUntil() || leaderLost()) {
        propose(a.message(), a.waitUntil());
      } else {
        awaitingLeader.add(a);
      }
    }
  }

  /**
   * This node lost contact with the leader (it has not heard it for the heartbeat timeout), as
   * opposed to seeing leadership or membership change hands: it refuses proposals at once.
   */
  private boolean leaderLost() {
    long timeoutMs = TimeUnit.SECONDS.toMillis(config.heartbeatTimeoutSec());
    return switch (mode) {
      case MEMBER -> report != null && report.getRole() != RaftRole.LEADER && leaderSilent(timeoutMs);
      case GATEWAY -> System.nanoTime() - lastLeaderContactNanos > TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      default -> true;
    };
  }

  /** How long a proposal waits for a leader, and how recently one must have been known for it to wait. */
  private long leaderWaitNanos() {
    return TimeUnit.SECONDS.toNanos(2L * config.heartbeatTimeoutSec());
  }

  /**
   * Proposals forwarded to a leader that is no longer the leader may never be answered (a killed
   * node drops them): their callers learn at once that the outcome is unknown.
   */
  private void failForwardedTo(String formerLeader) {
    var it = forwarded.values().iterator();
    while (it.hasNext()) {
      Forwarded f = it.next();
      if (!f.leader().equals(formerLeader)) continue;
      it.remove();
      ControlException e = new ControlException(504, "indeterminate",
          "the leader changed before answering; the outcome is unknown, retry with the same idempotency key");
      f.message().fail(e.status(), ControlClient.encodeFailure(e));
    }
  }

  /** A proposal forwarded by another node: replicate it here, the leader. */
  private void onForward(Message<Buffer> message) {
    if (!isLeader()) {
      ControlException e = new ControlException(503, NOT_LEADER, "this node no longer leads the Raft group; retry");
      message.fail(e.status(), ControlClient.encodeFailure(e));
      return;
    }
    Command command;
    try {
      command = CommandCodec.decode(Frames.forwardCommand(message.body()));
    } catch (RuntimeException e) {
      message.fail(400, "400|bad-command|" + e.getMessage());
      return;
    }
    replicate(command, Frames.forwardCommittedOnly(message.body()),
        applied -> message.reply(Frames.result(applied.index(), applied.reply().encode())),
        e -> message.fail(e.status(), ControlClient.encodeFailure(e)));
  }

  private void replicate(Command command, boolean committedOnly, java.util.function.Consumer<Applied> done,
                         java.util.function.Consumer<ControlException> failed) {
    raftNode.<Applied>replicate(command).whenComplete((ordered, error) -> context.runOnContext(v -> {
      if (error != null) {
        if (internalFailure(error)) recoverFromInternalFailure(error);
        failed.accept(translate(error));
        return;
      }
      Applied applied = ordered.getResult();
      if (applied == null) {
        failed.accept(new ControlException(503, "no-leader", "leadership is changing; retry"));
      } else if (committedOnly || applied.index() <= persistedIndex) {
        done.accept(applied);
      } else {
        awaitingPersistence.computeIfAbsent(applied.index(), k -> new ArrayList<>(1))
            .add(new Waiter(() -> done.accept(applied), failed, System.nanoTime()));
      }
    }));
  }

  private void whenApplied(long index, Runnable done) {
    if (state.index() >= index) {
      done.run();
    } else {
      awaitingApply.computeIfAbsent(index, k -> new ArrayList<>(1)).add(new Waiter(done, e -> done.run(), System.nanoTime()));
    }
  }

  private void releaseApplied() {
    if (awaitingApply.isEmpty()) return;
    var done = awaitingApply.headMap(state.index(), true);
    for (List<Waiter> list : done.values()) list.forEach(w -> w.done().run());
    done.clear();
  }

  private void onPersisted(PersistedEvents persisted) {
    persistedIndex = Math.max(persistedIndex, persisted.index());
    persistedSeq = Math.max(persistedSeq, persisted.seq());
    var done = awaitingPersistence.headMap(persistedIndex, true);
    if (done.isEmpty()) return;
    for (List<Waiter> list : done.values()) list.forEach(w -> w.done().run());
    done.clear();
  }

  private void failAll(ControlException e) {
    for (List<Waiter> list : awaitingPersistence.values()) list.forEach(w -> w.failed().accept(e));
    awaitingPersistence.clear();
    for (List<Waiter> list : awaitingApply.values()) list.forEach(w -> w.done().run());
    awaitingApply.clear();
  }

  private static ControlException noLeader() {
    return new ControlException(503, "no-leader", "the cluster has no Raft leader right now; retry");
  }

  private static ControlException forwardFailure(Throwable t) {
    if (t instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new ControlException(504, "indeterminate",
            "the leader did not answer in time; the outcome is unknown, retry with the same idempotency key");
      }
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new ControlException(503, NOT_LEADER, "the leader it was sent to is gone; retry");
      }
      String msg = re.getMessage() == null ? "" : re.getMessage();
      String[] parts = msg.split("\\|", 3);
      if (parts.length == 3) return new ControlException(re.failureCode(), parts[1], parts[2]);
      return new ControlException(503, "no-leader", msg);
    }
    return new ControlException(503, "no-leader", String.valueOf(t.getMessage()));
  }

  private static ControlException translate(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof NotLeaderException) {
      return new ControlException(503, NOT_LEADER, "this node is not the Raft leader; retry");
    }
    if (cause instanceof CannotReplicateException) {
      return new ControlException(503, "overloaded", "too many commands are waiting to be committed; retry");
    }
    if (cause instanceof IndeterminateStateException) {
      return new ControlException(504, "indeterminate",
          "leadership changed before the command was known to be committed; retry with the same idempotency key");
    }
    if (internalFailure(cause)) {
      // the command may be in the leader's log already: it can still commit
      return new ControlException(504, "indeterminate",
          "the Raft leader failed while replicating; the outcome is unknown, retry with the same idempotency key");
    }
    return new ControlException(500, "internal", String.valueOf(cause));
  }

  /** A failure MicroRaft reports of itself (its base exception), not one of a command or a role. */
  private static boolean internalFailure(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return cause.getClass() == RaftException.class;
  }

  /**
   * MicroRaft failed inside this leader, so it may fail the same way on every command (seen: a
   * follower's replication state pointing past the log after membership changes). Another voter
   * takes over; its fresh replication state lets the group go on.
   */
  private void recoverFromInternalFailure(Throwable error) {
    if (!isLeader() || recovering || stopping) return;
    RaftEndpoint target = mostCaughtUpOtherVoter();
    log.error("Raft failed inside this leader ({}); handing leadership to {}", error,
        target == null ? "nobody (no other voter is present)" : target.getId());
    if (target == null) return;
    recovering = true;
    Future.fromCompletionStage(raftNode.transferLeadership(target), context)
        .timeout(3, TimeUnit.SECONDS)
        .onComplete(done -> {
          recovering = false;
          if (done.failed()) log.warn("leadership handover after an internal failure failed: {}", done.cause().toString());
        });
  }

  /** The voter other than this one that has applied the most, as its presence says; null when none is present. */
  private RaftEndpoint mostCaughtUpOtherVoter() {
    long now = System.nanoTime();
    RaftEndpoint target = null;
    long best = -1;
    for (RaftEndpoint v : raftNode.getCommittedMembers().getVotingMembers()) {
      if (v.equals(self)) continue;
      JsonObject info = presence.get(String.valueOf(v.getId()), now);
      if (info != null && info.getLong("appliedIndex", 0L) > best) {
        best = info.getLong("appliedIndex", 0L);
        target = v;
      }
    }
    return target;
  }

  // ---- the cluster: presence, forming a group, keeping it whole --------------------------------

  private void announce() {
    NodeStatus s = currentStatus();
    JsonObject info = s.toJson().put("member", memberKind()).put("contact", cluster.contact());
    if (clusterManager != null) info.put("hz", clusterManager.getNodeId());
    if (isLeader()) info.put("groupMembers", ids(raftNode.getCommittedMembers().getMembers()));
    vertx.eventBus().publish(Presence.ADDRESS, info);
  }

  private String memberKind() {
    if (mode == Mode.GATEWAY) return "gateway";
    if (mode == Mode.JOINING) return "joining";
    if (report != null && report.getRole() == RaftRole.LEARNER) return "learner";
    return "voter";
  }

  private void tick() {
    if (stopping) return;
    long now = System.nanoTime();
    switch (mode) {
      case JOINING -> join(now);
      case GATEWAY -> follow(now);
      case MEMBER -> {
        if (isLeader()) {
          keepGroupWhole(now);
          disconnectDevicesOfAbsentNodes(now);
        } else {
          pollLeaderContact();
          electIfLeaderLeftCluster(now);
          rejoinIfRemoved(now);
        }
      }
    }
    expireWaiters(now);
    refreshStatus();
    releaseAwaitingLeader();
  }

  /** Forwarded results whose entry never reached this node (it fell behind) are answered anyway. */
  private void expireWaiters(long now) {
    if (awaitingApply.isEmpty()) return;
    var it = awaitingApply.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (now - e.getValue().get(0).sinceNanos() < TimeUnit.SECONDS.toNanos(5)) continue;
      e.getValue().forEach(w -> w.done().run());
      it.remove();
    }
  }

  private void join(long now) {
    if (bootstrapping) return;
    bootstrapping = true;
    var shared = vertx.sharedData();
    shared.<String, JsonObject>getAsyncMap(GROUP_MAP)
        .compose(map -> map.get(GROUP_KEY).compose(record -> {
          // A node named in the group record joins as a member, even if the others started first.
          if (record != null && listed(record) && groupAlive(record, System.nanoTime())) {
            return Future.succeededFuture(record);
          }
          String live = liveGroup(System.nanoTime());
          if (live != null) return Future.succeededFuture(new JsonObject().put("id", live));
          List<JsonObject> alive = presence.alive(System.nanoTime());
          if (alive.size() < cluster.bootstrapExpect()) {
            if (now - lastWaitLogNanos > TimeUnit.SECONDS.toNanos(10)) {
              lastWaitLogNanos = now;
              log.info("waiting for {} nodes to form the Raft group; {} present", cluster.bootstrapExpect(), alive.size());
            }
            return Future.<JsonObject>succeededFuture(null);
          }
          return shared.getLockWithTimeout(BOOTSTRAP_LOCK, 5_000).compose(lock -> map.get(GROUP_KEY)
              .compose(existing -> {
                if (existing != null && groupAlive(existing, System.nanoTime())) return Future.succeededFuture(existing);
                JsonObject formed = formGroup(presence.alive(System.nanoTime()));
                if (formed == null) return Future.<JsonObject>succeededFuture(null);
                return map.put(GROUP_KEY, formed).map(formed);
              })
              .onComplete(ar -> lock.release()));
        }))
        .onComplete(ar -> {
          bootstrapping = false;
          if (ar.failed()) {
            log.warn("joining the Raft group failed, retrying: {}", ar.cause().toString());
          } else if (ar.result() != null && mode == Mode.JOINING && !stopping) {
            adopt(ar.result());
          }
        });
  }

  private boolean listed(JsonObject record) {
    return record.getJsonArray("voters", new JsonArray()).contains(endpoint)
        || record.getJsonArray("learners", new JsonArray()).contains(endpoint);
  }

  /** The group a voter or learner heard from recently belongs to, or null. */
  private String liveGroup(long now) {
    for (JsonObject info : presence.alive(now)) {
      String kind = info.getString("member");
      if (info.getString("group") != null && ("voter".equals(kind) || "learner".equals(kind))
          && !endpoint.equals(info.getString("endpoint"))) {
        return info.getString("group");
      }
    }
    return null;
  }

  /** A group is alive while a member reports it, or for a short while after it was formed. */
  private boolean groupAlive(JsonObject record, long now) {
    if (System.currentTimeMillis() - record.getLong("formedAt", 0L) < 15_000) return true;
    for (JsonObject info : presence.alive(now)) {
      String kind = info.getString("member");
      if (record.getString("id").equals(info.getString("group")) && ("voter".equals(kind) || "learner".equals(kind))) {
        return true;
      }
    }
    return false;
  }

  private JsonObject formGroup(List<JsonObject> alive) {
    List<String> candidates = new ArrayList<>();
    for (JsonObject info : alive) {
      if ("joining".equals(info.getString("member"))) candidates.add(info.getString("endpoint"));
    }
    if (candidates.size() < cluster.bootstrapExpect()) return null;
    candidates.sort(Comparator.naturalOrder());
    int voters = Math.min(cluster.voters(), candidates.size());
    int learners = Math.min(cluster.learners(), candidates.size() - voters);
    JsonObject record = new JsonObject().put("id", UUID.randomUUID().toString())
        .put("voters", new JsonArray(candidates.subList(0, voters)))
        .put("learners", new JsonArray(candidates.subList(voters, voters + learners)))
        .put("formedAt", System.currentTimeMillis());
    log.info("forming a new Raft group {}: voters {}, learners {}", record.getString("id"),
        record.getJsonArray("voters"), record.getJsonArray("learners"));
    return record;
  }

  private void adopt(JsonObject record) {
    if (!record.containsKey("voters")) {
      becomeGateway(record.getString("id"));
      return;
    }
    List<RaftEndpoint> voters = endpoints(record.getJsonArray("voters"));
    List<RaftEndpoint> members = new ArrayList<>(voters);
    members.addAll(endpoints(record.getJsonArray("learners")));
    if (!members.contains(self)) {
      becomeGateway(record.getString("id"));
      return;
    }
    group = record.getString("id");
    mode = Mode.MEMBER;
    store.controlSnapshot()
        .compose(snapshot -> {
          state.restore(snapshot);
          persistedSeq = Math.max(persistedSeq, snapshot.seq());
          vertx.eventBus().publish(ControlClient.RESTORED, snapshot, local);
          snapshotAfterStart = true;
          return startMember(members, voters, new EventBusTransport(vertx.eventBus(),
              ep -> presence.endpointAlive(ep, System.nanoTime()), transportMetrics));
        })
        .onSuccess(v -> log.info("Raft member {} started in new group {} (log continues from seq {})", endpoint,
            group, state.seq()))
        .onFailure(t -> {
          log.error("could not start the Raft member; joining again: {}", t.toString());
          mode = Mode.JOINING;
          raftNode = null;
        });
  }

  private static List<RaftEndpoint> endpoints(JsonArray ids) {
    List<RaftEndpoint> out = new ArrayList<>();
    for (Object id : ids) out.add(new NodeEndpoint((String) id));
    return out;
  }

  /** The leader adds and replaces members, one change at a time. */
  private void keepGroupWhole(long now) {
    if (changingMembers) return;
    RaftGroupMembers committed = raftNode.getCommittedMembers();
    RaftGroupMembers effective = raftNode.getEffectiveMembers();
    if (committed.getLogIndex() != effective.getLogIndex()) return;
    long commit = report == null ? 0 : report.getLog().getCommitIndex();
    GroupUpkeep.Change next = upkeep.next(self, committed.getMembers(), committed.getVotingMembers(),
        id -> presence.get(id, now), presence.alive(now), group, commit, now);
    switch (next.kind()) {
      case REMOVE, PROMOTE -> change(next.member(), next.mode(), committed, next.why());
      case ENLIST -> enlist(next.member(), committed);
      case NONE -> {
      }
    }
  }

  /**
   * When this follower last heard from its leader. The member's own leader timeout does not always
   * fire (after a pre-vote in the same term it stops checking), so readiness and the quick election
   * below judge contact by the last heartbeat itself.
   */
  private void pollLeaderContact() {
    if (reportPending || raftNode == null) return;
    reportPending = true;
    raftNode.getReport().whenComplete((r, e) -> context.runOnContext(v -> {
      reportPending = false;
      if (e == null) leaderHeardAt = r.getResult().getLeaderHeartbeatTimestamp().orElse(-1L);
    }));
  }

  /** Whether this follower has not heard its leader for longer than {@code withinMillis}. */
  private boolean leaderSilent(long withinMillis) {
    return leaderHeardAt >= 0 && raftClock.millis() - leaderHeardAt > withinMillis;
  }

  /**
   * A member the group removed while it could not hear (frozen or cut off past the grace period),
   * or a gateway that started a member but was never added, learns it from the leader's
   * announcement; its log is of no use any more, so it rejoins as a
   * gateway under a new incarnation, and the leader enlists it again when a member is missing.
   */
  private void rejoinIfRemoved(long now) {
    JsonObject leader = null;
    for (JsonObject info : presence.alive(now)) {
      if ("LEADER".equals(info.getString("role")) && group.equals(info.getString("group"))
          && info.getJsonArray("groupMembers") != null && (leader == null || info.getLong("term", 0L) > leader.getLong("term", 0L))) {
        leader = info;
      }
    }
    if (leader == null || endpoint.equals(leader.getString("endpoint"))
        || leader.getJsonArray("groupMembers").contains(endpoint)) {
      orphanTicks = 0;
      return;
    }
    // a member just enlisted is not in the list until its addition commits: allow for that
    if (++orphanTicks < 40) return;
    orphanTicks = 0;
    String old = endpoint;
    RaftNode removed = raftNode;
    raftNode = null;
    report = null;
    endpoint = incarnation(nodeId);
    self = new NodeEndpoint(endpoint);
    log.warn("this node ({}) is no longer a member of group {}; rejoining as {}", old, group, endpoint);
    Future.fromCompletionStage(removed.terminate(), context).otherwiseEmpty();
    for (MessageConsumer<?> c : endpointConsumers) c.unregister();
    consumers.removeAll(endpointConsumers);
    endpointConsumers.clear();
    consumers.addAll(registerEndpointConsumers());
    synced = false;
    mode = Mode.JOINING;
    String g = group;
    group = null;
    becomeGateway(g);
  }

  /**
   * A leader whose process is gone (its cluster-manager node left, as it does within a second of a
   * crash) need not be waited for until its heartbeats time out: the first voter in endpoint order
   * starts an election at once, as if the leader had handed over. A frozen or cut-off leader is
   * still detected by the heartbeat timeout.
   */
  private void electIfLeaderLeftCluster(long now) {
    RaftEndpoint leader = report == null ? null : report.getTerm().getLeaderEndpoint();
    if (leader == null || clusterManager == null) {
      leaderHzNode = null;
      return;
    }
    long term = report.getTerm().getTerm();
    JsonObject info = presence.get(String.valueOf(leader.getId()), now);
    if (info != null && info.getString("hz") != null) leaderHzNode = info.getString("hz");
    if (leaderHzNode == null || electionTriggeredInTerm == term || clusterManager.getNodes().contains(leaderHzNode)) {
      return;
    }
    if (report.getRole() != RaftRole.FOLLOWER || !leaderSilent(300)) return;
    // only on the side of a majority: a node cut off with a minority must not disturb the others
    int voters = raftNode.getCommittedMembers().getVotingMembers().size();
    int reachable = 0;
    for (RaftEndpoint v : raftNode.getCommittedMembers().getVotingMembers()) {
      if (!v.equals(leader) && (v.equals(self) || presence.endpointAlive(String.valueOf(v.getId()), now))) reachable++;
    }
    if (reachable <= voters / 2) return;
    String first = null;
    for (RaftEndpoint v : raftNode.getCommittedMembers().getVotingMembers()) {
      String id = String.valueOf(v.getId());
      if (v.equals(leader) || !(v.equals(self) || presence.endpointAlive(id, now))) continue;
      if (first == null || id.compareTo(first) < 0) first = id;
    }
    if (!endpoint.equals(first)) return;
    electionTriggeredInTerm = term;
    log.info("leader {} left the cluster; starting an election", leader.getId());
    raftNode.getReport().whenComplete((r, e) -> {
      if (e != null) return;
      RaftNodeReport fresh = r.getResult();
      if (fresh.getTerm().getTerm() != term || !leader.equals(fresh.getTerm().getLeaderEndpoint())) return;
      raftNode.handle(new io.microraft.model.impl.DefaultRaftModelFactory().createTriggerLeaderElectionRequestBuilder()
          .setGroupId(group).setSender(leader).setTerm(fresh.getTerm().getTerm())
          .setLastLogTerm(fresh.getLog().getLastLogOrSnapshotTerm())
          .setLastLogIndex(fresh.getLog().getLastLogOrSnapshotIndex()).build());
    });
  }

  private void change(RaftEndpoint member, MembershipChangeMode changeMode, RaftGroupMembers committed, String why) {
    changingMembers = true;
    log.info("membership change: {} {} ({})", changeMode, member.getId(), why);
    raftNode.changeMembership(member, changeMode, committed.getLogIndex()).whenComplete((r, e) -> context.runOnContext(v -> {
      changingMembers = false;
      if (e != null) {
        log.warn("membership change {} {} failed: {}", changeMode, member.getId(), e.toString());
      } else {
        log.info("members now {} (voters {})", r.getResult().getMembers(), r.getResult().getVotingMembers());
      }
    }));
  }

  /** Asks a gateway to start a Raft member, then adds it as a learner. */
  private void enlist(RaftEndpoint gateway, RaftGroupMembers committed) {
    changingMembers = true;
    RaftGroupMembers initialMembers = raftNode.getInitialMembers();
    JsonObject request = new JsonObject().put("group", group)
        .put("members", ids(initialMembers.getMembers())).put("voters", ids(initialMembers.getVotingMembers()));
    vertx.eventBus().<JsonObject>request(PeerAddresses.enlist(String.valueOf(gateway.getId())), request,
            new DeliveryOptions().setSendTimeout(15_000))
        .onComplete(ar -> {
          if (ar.failed()) {
            changingMembers = false;
            log.warn("gateway {} did not start a Raft member: {}", gateway.getId(), ar.cause().getMessage());
            return;
          }
          changingMembers = false;
          if (isLeader()) change(gateway, MembershipChangeMode.ADD_LEARNER, raftNode.getCommittedMembers(), "a learner is missing");
        });
  }

  private static JsonArray ids(java.util.Collection<RaftEndpoint> endpoints) {
    JsonArray out = new JsonArray();
    for (RaftEndpoint e : endpoints) out.add(String.valueOf(e.getId()));
    return out;
  }

  /** A gateway asked to become a learner starts its Raft member over the state it has. */
  private void onEnlist(Message<JsonObject> message) {
    JsonObject request = message.body();
    if (mode == Mode.MEMBER && raftNode != null && request.getString("group", "").equals(group)) {
      // the leader asks again (its first request timed out): the member is already running
      message.reply(new JsonObject().put("endpoint", endpoint));
      return;
    }
    if (mode != Mode.GATEWAY || !request.getString("group", "").equals(group) || stopping) {
      message.fail(409, "not a gateway of group " + request.getString("group"));
      return;
    }
    if (streamConsumer != null) {
      streamConsumer.unregister();
      streamConsumer = null;
    }
    startMember(endpoints(request.getJsonArray("members")), endpoints(request.getJsonArray("voters")),
        new EventBusTransport(vertx.eventBus(), ep -> presence.endpointAlive(ep, System.nanoTime()), transportMetrics))
        .onSuccess(v -> {
          log.info("gateway {} became a Raft member of group {}", endpoint, group);
          message.reply(new JsonObject().put("endpoint", endpoint));
        })
        .onFailure(t -> {
          message.fail(500, t.toString());
          raftNode = null;
          becomeGateway(group);
        });
  }

  /** The leader removes a member that leaves on its own (SIGTERM). */
  private void onLeave(Message<JsonObject> message) {
    if (!isLeader() || changingMembers) {
      message.fail(503, "not the leader, or a membership change is in progress");
      return;
    }
    RaftEndpoint leaving = new NodeEndpoint(message.body().getString("endpoint"));
    RaftGroupMembers committed = raftNode.getCommittedMembers();
    if (!committed.getMembers().contains(leaving)) {
      message.reply(new JsonObject());
      return;
    }
    changingMembers = true;
    raftNode.changeMembership(leaving, MembershipChangeMode.REMOVE_MEMBER, committed.getLogIndex())
        .whenComplete((r, e) -> context.runOnContext(v -> {
          changingMembers = false;
          if (e != null) {
            message.fail(503, e.toString());
          } else {
            log.info("{} left the group", leaving.getId());
            message.reply(new JsonObject());
          }
        }));
  }

  /** Hands leadership to another voter, then asks the leader to remove this member. */
  private Future<Void> leaveGroup() {
    if (raftNode == null) return Future.succeededFuture();
    Future<Void> handover = Future.succeededFuture();
    if (isLeader()) {
      RaftEndpoint target = mostCaughtUpOtherVoter();
      if (target != null) {
        log.info("handing leadership over to {}", target.getId());
        handover = Future.fromCompletionStage(raftNode.transferLeadership(target), context)
            .timeout(3, TimeUnit.SECONDS)
            .onFailure(e -> log.warn("leadership handover failed: {}", e.toString()))
            .<Void>mapEmpty().otherwiseEmpty();
      }
    }
    return handover.compose(v -> {
      Promise<Void> left = Promise.promise();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      askToLeave(left, deadline);
      return left.future();
    });
  }

  private void askToLeave(Promise<Void> left, long deadline) {
    if (System.nanoTime() > deadline) {
      log.warn("could not leave the Raft group in time; the leader will replace this member after the grace period");
      left.tryComplete();
      return;
    }
    String leader = report == null || report.getTerm().getLeaderEndpoint() == null ? null
        : String.valueOf(report.getTerm().getLeaderEndpoint().getId());
    if (leader == null || (leader.equals(endpoint) && raftNode.getCommittedMembers().getMembers().size() == 1)) {
      if (leader == null) {
        vertx.setTimer(200, id -> askToLeave(left, deadline));
      } else {
        left.tryComplete();
      }
      return;
    }
    vertx.eventBus().request(PeerAddresses.leave(leader), new JsonObject().put("endpoint", endpoint),
            new DeliveryOptions().setSendTimeout(3_000))
        .onSuccess(r -> {
          log.info("left the Raft group");
          left.tryComplete();
        })
        .onFailure(e -> vertx.setTimer(200, id -> askToLeave(left, deadline)));
  }

  /** Devices whose node has been absent past the grace period go offline (their missions retry). */
  private void disconnectDevicesOfAbsentNodes(long now) {
    long graceNanos = TimeUnit.SECONDS.toNanos(cluster.offlineGraceSec());
    Set<String> seen = new HashSet<>();
    for (Device d : state.devices()) {
      String node = d.nodeId();
      if (!d.online() || node == null || node.equals(nodeId)) continue;
      seen.add(node);
      if (presence.nodeAlive(node, now)) {
        nodeAbsentSince.remove(node);
        continue;
      }
      long since = nodeAbsentSince.computeIfAbsent(node, k -> now);
      if (now - since >= graceNanos) {
        new ControlClient(vertx).proposeCommitted(new Command.DeviceDisconnected(d.id(), node, System.currentTimeMillis()))
            .onFailure(e -> log.debug("device {} of absent node {} not disconnected yet: {}", d.id(), node, e.getMessage()));
      }
    }
    nodeAbsentSince.keySet().retainAll(seen);
  }

  // ---- gateways: following the leader's stream ----------------------------------------------

  private void becomeGateway(String groupId) {
    if (!groupId.equals(group)) synced = false;
    mode = Mode.GATEWAY;
    group = groupId;
    log.info("node {} is a gateway of Raft group {}", endpoint, group);
    if (streamConsumer == null) {
      streamConsumer = vertx.eventBus().consumer(STREAM, m -> onStream(m.body()));
    }
    catchUp(state.index());
  }

  private void follow(long now) {
    String leader = currentLeader();
    if (leader == null) return;
    JsonObject info = presence.get(leader, now);
    if (info == null) return;
    if (!group.equals(info.getString("group"))) {
      becomeGateway(info.getString("group"));
      return;
    }
    if (info.getLong("appliedIndex", 0L) > state.index() && now - lastLeaderContactNanos > TimeUnit.SECONDS.toNanos(1)) {
      catchUp(state.index());
    }
  }

  private void onStream(Buffer frame) {
    if (mode != Mode.GATEWAY) return;
    Frames.Batch batch;
    try {
      batch = Frames.readEntries(frame);
    } catch (RuntimeException e) {
      log.warn("dropped an undecodable stream frame: {}", e.toString());
      return;
    }
    if (!batch.group().equals(group)) return;
    lastLeaderContactNanos = System.nanoTime();
    if (catchingUp || !synced) {
      catchUp(state.index());
      return;
    }
    if (!applyChained(batch.entries())) catchUp(state.index());
  }

  /** Applies entries that follow the state; false when there is a gap before them. */
  private boolean applyChained(List<AppliedLog.Entry> entries) {
    for (AppliedLog.Entry e : entries) {
      if (e.index() <= state.index()) continue;
      if (e.previous() != state.index()) return false;
      Applied applied = machine.apply(e.index(), e.command());
      appliedLog.add(e);
      recentlyApplied.put(applied.index(), applied);
      vertx.eventBus().publish(ControlClient.APPLIED, applied, local);
    }
    releaseApplied();
    return true;
  }

  /**
   * Asks the leader for what follows {@code after}, or for a snapshot when {@code after < 0} or this
   * gateway has not yet synced with its group (a state loaded from PostgreSQL at start is not the
   * group's state at any index).
   */
  private void catchUp(long requested) {
    long after = synced ? requested : -1;
    if (catchingUp) return;
    String leader = currentLeader();
    if (leader == null) return;
    catchingUp = true;
    vertx.eventBus().<Buffer>request(PeerAddresses.catchUp(leader), new JsonObject().put("group", group).put("after", after),
            new DeliveryOptions().setSendTimeout(30_000))
        .onComplete(ar -> {
          catchingUp = false;
          if (ar.failed()) {
            log.debug("catching up from {} failed: {}", leader, ar.cause().getMessage());
            return;
          }
          lastLeaderContactNanos = System.nanoTime();
          Buffer frame = ar.result().body();
          if (Frames.kind(frame) == Frames.SNAPSHOT) {
            Frames.Snapshot s = Frames.readSnapshot(frame);
            vertx.executeBlocking(() -> SnapshotCodec.decode(s.bytes()), false).onSuccess(snapshot -> {
              if (mode != Mode.GATEWAY) return;
              group = s.group();
              state.restore(snapshot);
              synced = true;
              onRestored(snapshot);
              catchUp(state.index());
            });
          } else {
            Frames.Batch batch = Frames.readEntries(frame);
            if (!applyChained(batch.entries())) {
              catchUp(-1);
            } else if (batch.entries().size() == CATCH_UP_BATCH) {
              catchUp(state.index());
            }
          }
        });
  }

  /** The leader answers a gateway with the entries it missed, or a snapshot of the whole state. */
  private void onCatchUp(Message<JsonObject> message) {
    if (!isLeader()) {
      message.fail(503, "not the leader");
      return;
    }
    long after = message.body().getLong("after", -1L);
    long term = report.getTerm().getTerm();
    if (group.equals(message.body().getString("group")) && after >= 0) {
      if (after == state.index()) {
        message.reply(Frames.entries(group, term, List.of()));
        return;
      }
      List<AppliedLog.Entry> entries = appliedLog.after(after, CATCH_UP_BATCH);
      if (entries != null) {
        message.reply(Frames.entries(group, term, entries));
        return;
      }
    }
    ControlSnapshot snapshot = state.snapshot();
    vertx.executeBlocking(() -> SnapshotCodec.encode(snapshot), false)
        .onSuccess(bytes -> message.reply(Frames.snapshot(group, term, bytes)))
        .onFailure(t -> message.fail(500, t.toString()));
  }

  // ---- status and reads ---------------------------------------------------------------------

  /** The leader's endpoint as this node knows it, or null without recent contact. */
  private String currentLeader() {
    if (!cluster.enabled()) return isLeader() ? endpoint : null;
    if (mode == Mode.MEMBER) {
      RaftEndpoint leader = report == null ? null : report.getTerm().getLeaderEndpoint();
      // a follower that has not heard its leader for the heartbeat timeout forwards nothing: the
      // caller is told at once that nothing happened, rather than that the outcome is unknown
      if (leader == null || (report.getRole() != RaftRole.LEADER
          && leaderSilent(TimeUnit.SECONDS.toMillis(config.heartbeatTimeoutSec())))) {
        return null;
      }
      return String.valueOf(leader.getId());
    }
    long now = System.nanoTime();
    String best = null;
    long bestTerm = -1;
    for (JsonObject info : presence.alive(now)) {
      if ("LEADER".equals(info.getString("role")) && info.getLong("term", 0L) > bestTerm
          && (group == null || group.equals(info.getString("group")))) {
        best = info.getString("endpoint");
        bestTerm = info.getLong("term", 0L);
      }
    }
    return best;
  }

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
      case "cluster" -> clusterView();
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
        .put("seq", state.seq()).put("index", state.index())
        .put("raftMessages", transportMetrics.messages).put("raftBytes", transportMetrics.bytes)
        .put("streamBytes", streamedBytes);
  }

  private JsonObject clusterView() {
    NodeStatus s = currentStatus();
    JsonArray members = new JsonArray();
    if (!cluster.enabled()) {
      members.add(s.toJson().put("member", "voter").put("contact", cluster.contact()));
    } else {
      List<JsonObject> alive = new ArrayList<>(presence.alive(System.nanoTime()));
      alive.removeIf(i -> endpoint.equals(i.getString("endpoint")));
      alive.add(s.toJson().put("member", memberKind()).put("contact", cluster.contact()));
      alive.sort(Comparator.comparing(i -> i.getString("nodeId", "")));
      for (JsonObject info : alive) {
        JsonObject member = info.copy();
        member.remove("hz");
        members.add(member);
      }
    }
    JsonObject out = s.toJson().put("self", endpoint).put("member", cluster.enabled() ? memberKind() : "voter")
        .put("members", members);
    if (raftNode != null) {
      out.put("voters", ids(raftNode.getCommittedMembers().getVotingMembers()));
      JsonArray learners = new JsonArray();
      for (RaftEndpoint m : raftNode.getCommittedMembers().getMembers()) {
        if (!raftNode.getCommittedMembers().getVotingMembers().contains(m)) learners.add(String.valueOf(m.getId()));
      }
      out.put("learners", learners);
    }
    return out;
  }

  private NodeStatus currentStatus() {
    refreshStatus();
    return status;
  }

  private void refreshStatus() {
    String role;
    long term;
    long commit;
    String leader = currentLeader();
    if (mode == Mode.MEMBER && report != null) {
      role = report.getRole().name();
      if (report.getRole() != RaftRole.LEADER && leaderSilent(TimeUnit.SECONDS.toMillis(config.heartbeatTimeoutSec()))) {
        leader = null;
      }
      term = report.getTerm().getTerm();
      commit = Math.max(report.getLog().getCommitIndex(), state.index());
    } else if (mode == Mode.GATEWAY) {
      role = "GATEWAY";
      JsonObject info = leader == null ? null : presence.get(leader, System.nanoTime());
      term = info == null ? status.term() : info.getLong("term", 0L);
      commit = info == null ? status.commitIndex() : info.getLong("commitIndex", 0L);
      if (System.nanoTime() - lastLeaderContactNanos > TimeUnit.SECONDS.toNanos(Math.max(3, config.heartbeatTimeoutSec() * 2L))
          && info == null) {
        leader = null;
      }
    } else {
      role = mode == Mode.JOINING ? "JOINING" : "NONE";
      term = 0;
      commit = 0;
    }
    if (!Objects.equals(leader, lastLeader)) {
      if (leader != null) leaderChanges++;
      if (lastLeader != null && !forwarded.isEmpty()) failForwardedTo(lastLeader);
      lastLeader = leader;
    }
    NodeStatus previous = status;
    if (leader != null) leaderKnownNanos = System.nanoTime();
    status = new NodeStatus(nodeId, role, term, leader, commit, state.index(), persistedIndex, state.seq(),
        persistedSeq, endpoint, group, leaderChanges);
    if (!status.role().equals(previous.role()) || status.term() != previous.term()
        || !Objects.equals(status.leader(), previous.leader())) {
      log.info("Raft {}: {} in term {}, leader {}", endpoint, status.role(), status.term(), status.leader());
      vertx.eventBus().publish(ROLE, status, local);
    }
  }

  private void onReport(RaftNodeReport report) {
    this.report = report;
    refreshStatus();
    if (!awaitingLeader.isEmpty()) context.runOnContext(v -> releaseAwaitingLeader());
  }
}
