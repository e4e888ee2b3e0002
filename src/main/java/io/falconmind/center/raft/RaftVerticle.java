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
import java.util.Objects;
import java.util.Set;
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
  private static final long TICK_MS = 250;
  private static final int CATCH_UP_BATCH = 5_000;
  private static final int APPLIED_LOG_ENTRIES = 20_000;

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

  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
  private final EventBusTransport.Metrics transportMetrics = new EventBusTransport.Metrics();
  private GroupUpkeep upkeep;
  private final Map<String, Long> nodeAbsentSince = new HashMap<>();
  private final List<AppliedLog.Entry> streamOut = new ArrayList<>();
  private final ReplyWaiters waiters = new ReplyWaiters();
  private Proposals proposals;
  private GroupFormation formation;
  /** When this node last knew a leader (nanoTime; 0: never). */
  private long leaderKnownNanos;
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
    endpointConsumers.add(bus.<Buffer>consumer(PeerAddresses.forward(endpoint), skippingWarmUps(m -> proposals.onForward(m))));
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
    formation = new GroupFormation(cluster, presence, System::currentTimeMillis);
    proposals = new Proposals(context, new Leadership(), waiters, state::index,
        TimeUnit.SECONDS.toNanos(2L * config.heartbeatTimeoutSec()));
    consumers.add(bus.<Command>localConsumer(ControlClient.PROPOSE, proposals::onPropose));
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
      ControlException shuttingDown = ControlFailures.shuttingDown();
      waiters.failAll(shuttingDown);
      proposals.refuseAwaiting(shuttingDown);
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
    proposals.applied(applied);
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
    waiters.applied(state.index());
  }

  private void onRestored(ControlSnapshot snapshot) {
    appliedLog.clear();
    proposals.restored();
    log.info("state restored from a snapshot at index {} (seq {})", snapshot.index(), snapshot.seq());
    vertx.eventBus().publish(ControlClient.RESTORED, snapshot, local);
    waiters.applied(state.index());
  }

  private void flushStream() {
    if (streamOut.isEmpty()) return;
    Buffer frame = Frames.entries(group, report == null ? 0 : report.getTerm().getTerm(), List.copyOf(streamOut));
    streamOut.clear();
    streamedBytes += frame.length();
    vertx.eventBus().publish(STREAM, frame);
  }

  private void onPersisted(PersistedEvents persisted) {
    persistedSeq = Math.max(persistedSeq, persisted.seq());
    waiters.persisted(persisted.index());
  }

  // ---- proposals ----------------------------------------------------------------------------

  /** This node's place in the group, as {@link Proposals} sees it. */
  private final class Leadership implements Proposals.Leadership {
    @Override
    public boolean replicatesHere() {
      return mode == Mode.MEMBER && (!cluster.enabled() || isLeader());
    }

    @Override
    public boolean leads() {
      return isLeader();
    }

    @Override
    public String leader() {
      return currentLeader();
    }

    @Override
    public boolean leaderLost() {
      return RaftVerticle.this.leaderLost();
    }

    @Override
    public boolean leaderExpected(long nowNanos) {
      return !stopping && !RaftVerticle.this.leaderLost() && leaderKnownNanos != 0
          && nowNanos - leaderKnownNanos < TimeUnit.SECONDS.toNanos(2L * config.heartbeatTimeoutSec());
    }

    @Override
    public RaftNode raftNode() {
      return raftNode;
    }

    @Override
    public void failedInside(Throwable error) {
      recoverFromInternalFailure(error);
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
    waiters.expire(now);
    refreshStatus();
    proposals.releaseAwaitingLeader();
  }

  private void join(long now) {
    if (bootstrapping) return;
    bootstrapping = true;
    formation.find(vertx.sharedData(), endpoint, now)
        .onComplete(ar -> {
          bootstrapping = false;
          if (ar.failed()) {
            log.warn("joining the Raft group failed, retrying: {}", ar.cause().toString());
          } else if (ar.result() != null && mode == Mode.JOINING && !stopping) {
            adopt(ar.result());
          }
        });
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
      proposals.applied(applied);
      vertx.eventBus().publish(ControlClient.APPLIED, applied, local);
    }
    waiters.applied(state.index());
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
      if (lastLeader != null) proposals.failForwardedTo(lastLeader);
      lastLeader = leader;
    }
    NodeStatus previous = status;
    if (leader != null) leaderKnownNanos = System.nanoTime();
    status = new NodeStatus(nodeId, role, term, leader, commit, state.index(), waiters.persistedIndex(), state.seq(),
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
    if (proposals.anyAwaitingLeader()) context.runOnContext(v -> proposals.releaseAwaitingLeader());
  }
}
