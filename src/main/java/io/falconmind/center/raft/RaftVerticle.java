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
import io.microraft.RaftConfig;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.model.message.RaftMessage;
import io.microraft.report.RaftNodeReport;
import io.vertx.core.Future;
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
 *
 * <p>The verticle wires the parts and moves this node between joining, member and gateway
 * ({@link LocalMember}); the parts are {@link GroupFormation} (which group to join),
 * {@link Proposals} (where a proposal goes, with {@link ReplyWaiters} and {@link ControlFailures}
 * for its answer), {@link GatewayStream} (the state of gateways), {@link MembershipChanges} (the
 * leader keeping the group whole, a member leaving) and {@link LeaderWatch} (a follower watching
 * its leader).
 */
public final class RaftVerticle extends VerticleBase {

  /** Local publish of {@link NodeStatus} whenever this member's role, term or leader changes. */
  public static final String ROLE = "center.control.role";

  private static final Logger log = LoggerFactory.getLogger(RaftVerticle.class);
  private static final long TICK_MS = 250;

  private final String nodeId;
  private final CenterConfig.Raft config;
  private final Clustering cluster;
  private final ControlPolicy policy;
  private final ControlSnapshot initial;
  private final Presence presence;
  private final LocalMember member;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  /** The consumers addressed to this node's endpoint, registered again when it takes a new incarnation. */
  private final List<MessageConsumer<?>> endpointConsumers = new ArrayList<>();
  private final DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
  /** Told of every command applied to the state here, and of every snapshot installed, on a member and a gateway alike. */
  private final ControlStateMachineAdapter.Listener replica = new ControlStateMachineAdapter.Listener() {
    @Override
    public void applied(long previousIndex, Command command, Applied applied) {
      onApplied(previousIndex, command, applied);
    }

    @Override
    public void restored(ControlSnapshot snapshot) {
      onRestored(snapshot);
    }
  };
  private final EventBusTransport.Metrics transportMetrics = new EventBusTransport.Metrics();
  private final ReplyWaiters waiters = new ReplyWaiters();
  /** Since when each node that has devices online here has been absent (nanoTime). */
  private final Map<String, Long> nodeAbsentSince = new HashMap<>();
  private ControlState state;
  private ControlStateMachine machine;
  private StoreClient store;
  private Proposals proposals;
  private GroupFormation formation;
  private GatewayStream stream;
  private MembershipChanges membership;
  private LeaderWatch watch;
  private io.vertx.core.spi.cluster.ClusterManager clusterManager;
  private volatile NodeStatus status;
  private long persistedSeq;
  private long leaderChanges;
  private String lastLeader;
  private boolean snapshotAfterStart;
  private boolean bootstrapping;
  private boolean stopping;

  public RaftVerticle(String nodeId, CenterConfig.Raft config, Clustering cluster, ControlPolicy policy,
                      ControlSnapshot initial) {
    this.nodeId = nodeId;
    this.config = config;
    this.cluster = cluster;
    this.policy = policy;
    this.initial = initial;
    this.presence = new Presence(Math.max(3_000L, 2_000L * config.heartbeatTimeoutSec()));
    this.member = new LocalMember(nodeId, cluster.enabled(), TimeUnit.SECONDS.toMillis(config.heartbeatTimeoutSec()), presence);
  }

  /** Registers the consumers addressed to this node's endpoint. */
  private List<MessageConsumer<?>> registerEndpointConsumers() {
    var bus = vertx.eventBus();
    endpointConsumers.add(bus.<Buffer>consumer(PeerAddresses.raft(member.endpoint), skippingWarmUps(this::onRaftMessage)));
    endpointConsumers.add(bus.<Buffer>consumer(PeerAddresses.forward(member.endpoint), skippingWarmUps(m -> proposals.onForward(m))));
    endpointConsumers.add(bus.<JsonObject>consumer(PeerAddresses.catchUp(member.endpoint), skippingWarmUps(m -> stream.onCatchUp(m))));
    endpointConsumers.add(bus.<JsonObject>consumer(PeerAddresses.enlist(member.endpoint), skippingWarmUps(this::onEnlist)));
    endpointConsumers.add(bus.<JsonObject>consumer(PeerAddresses.leave(member.endpoint), skippingWarmUps(m -> membership.onLeave(m))));
    return endpointConsumers;
  }

  @Override
  public Future<?> start() {
    ControlClient.registerCodecs(vertx);
    store = new StoreClient(vertx);
    state = new ControlState();
    state.restore(initial);
    machine = new ControlStateMachine(state, policy);
    stream = new GatewayStream(context, member, presence, state, machine, replica);
    persistedSeq = initial.seq();
    membership = new MembershipChanges(context, member, presence,
        new GroupUpkeep(cluster.voters(), cluster.learners(), TimeUnit.SECONDS.toNanos(cluster.voterGraceSec())), () -> stopping);
    status = new NodeStatus(nodeId, "NONE", 0, null, 0, 0, 0, state.seq(), persistedSeq, member.endpoint, null, 0);
    var bus = vertx.eventBus();
    formation = new GroupFormation(cluster, presence, System::currentTimeMillis);
    // a proposal waits for a leader at most twice the heartbeat timeout
    proposals = new Proposals(context, member, waiters, state::index, TimeUnit.SECONDS.toNanos(2L * config.heartbeatTimeoutSec()),
        () -> stopping, e -> membership.recoverFromInternalFailure(e));
    consumers.add(bus.<Command>localConsumer(ControlClient.PROPOSE, proposals::onPropose));
    consumers.add(bus.<ControlClient.Query>localConsumer(ControlClient.QUERY, this::onQuery));
    consumers.add(bus.<PersistedEvents>localConsumer(ControlClient.PERSISTED, m -> onPersisted(m.body())));
    if (cluster.enabled()) {
      clusterManager = ((io.vertx.core.internal.VertxInternal) vertx).clusterManager();
      watch = new LeaderWatch(context, member, presence, clusterManager);
      consumers.addAll(registerEndpointConsumers());
      consumers.add(bus.<JsonObject>consumer(Presence.ADDRESS, m -> onPresence(m.body())));
    }
    List<Future<?>> ready = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) ready.add(c.completion());
    return Future.all(ready).compose(v -> {
      if (!cluster.enabled()) {
        member.group = "standalone";
        return startMember(List.of(member.self), List.of(member.self), new SingleMemberTransport(member.self))
            .onSuccess(x -> log.info("Raft member {} started (log continues from seq {})", nodeId, state.seq()));
      }
      vertx.setPeriodic(Presence.PERIOD_MS, id -> announce());
      vertx.setPeriodic(TICK_MS, id -> tick());
      announce();
      log.info("node {} joins the cluster as Raft endpoint {}; waiting for a group ({} nodes expected)", nodeId,
          member.endpoint, cluster.bootstrapExpect());
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    Future<Void> leaving = member.mode == LocalMember.Mode.MEMBER && cluster.enabled() ? membership.leave() : Future.succeededFuture();
    return leaving.compose(v -> {
      ControlException shuttingDown = ControlFailures.shuttingDown();
      waiters.failAll(shuttingDown);
      proposals.refuseAwaiting(shuttingDown);
      if (member.raftNode == null) return Future.succeededFuture();
      return Future.fromCompletionStage(member.raftNode.terminate(), context).otherwiseEmpty();
    });
  }

  private void onPresence(JsonObject info) {
    if (presence.heard(info, System.nanoTime()) && !member.endpoint.equals(info.getString("endpoint"))) {
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
    ControlStateMachineAdapter adapter = new ControlStateMachineAdapter(machine, replica, System::currentTimeMillis,
        () -> member.raftNode.getTerm().getTerm(), member.endpoint);
    member.raftNode = RaftNode.newBuilder()
        .setGroupId(member.group)
        .setLocalEndpoint(member.self)
        .setInitialGroupMembers(members, voters)
        .setConfig(raftConfig())
        .setExecutor(new ContextExecutor(context))
        .setTransport(transport)
        .setStateMachine(adapter)
        .setRaftNodeReportListener(this::onReport)
        .setClock(member.raftClock)
        .build();
    member.mode = LocalMember.Mode.MEMBER;
    return Future.fromCompletionStage(member.raftNode.start(), context).mapEmpty();
  }

  private void onRaftMessage(Message<Buffer> message) {
    RaftNode node = member.raftNode;
    if (node == null) return;
    try {
      node.handle((RaftMessage) RaftCodec.decode(message.body()));
    } catch (RuntimeException e) {
      log.warn("dropped an undecodable Raft message: {}", e.toString());
    }
  }

  private void onApplied(long previousIndex, Command command, Applied applied) {
    proposals.applied(applied);
    vertx.eventBus().publish(ControlClient.APPLIED, applied, local);
    if (cluster.enabled()) stream.applied(previousIndex, command, applied);
    if (snapshotAfterStart && member.raftNode != null && applied.index() > 0) {
      // A new group's base state came from PostgreSQL, outside the log: a snapshot on every initial
      // member makes sure a member added later receives it.
      snapshotAfterStart = false;
      context.runOnContext(v -> member.raftNode.takeSnapshot().whenComplete((r, e) -> {
        if (e != null) log.warn("first snapshot of the group not taken: {}", e.toString());
      }));
    }
    waiters.applied(state.index());
  }

  private void onRestored(ControlSnapshot snapshot) {
    stream.restored();
    proposals.restored();
    log.info("state restored from a snapshot at index {} (seq {})", snapshot.index(), snapshot.seq());
    vertx.eventBus().publish(ControlClient.RESTORED, snapshot, local);
    waiters.applied(state.index());
  }

  private void onPersisted(PersistedEvents persisted) {
    persistedSeq = Math.max(persistedSeq, persisted.seq());
    waiters.persisted(persisted.index());
  }

  // ---- the cluster: presence, forming a group, keeping it whole --------------------------------

  private void announce() {
    NodeStatus s = currentStatus();
    JsonObject info = s.toJson().put("member", member.kind()).put("contact", cluster.contact());
    if (clusterManager != null) info.put("hz", clusterManager.getNodeId());
    if (member.isLeader()) info.put("groupMembers", NodeEndpoint.ids(member.raftNode.getCommittedMembers().getMembers()));
    vertx.eventBus().publish(Presence.ADDRESS, info);
  }

  private void tick() {
    if (stopping) return;
    long now = System.nanoTime();
    switch (member.mode) {
      case JOINING -> join(now);
      case GATEWAY -> stream.tick(now);
      case MEMBER -> {
        if (member.isLeader()) {
          membership.keepGroupWhole(now);
          disconnectDevicesOfAbsentNodes(now);
        } else {
          watch.pollContact();
          watch.electIfLeaderLeftCluster(now);
          if (watch.removedFromGroup(now)) rejoin();
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
    formation.find(vertx.sharedData(), member.endpoint, now)
        .onComplete(ar -> {
          bootstrapping = false;
          if (ar.failed()) {
            log.warn("joining the Raft group failed, retrying: {}", ar.cause().toString());
          } else if (ar.result() != null && member.mode == LocalMember.Mode.JOINING && !stopping) {
            adopt(ar.result());
          }
        });
  }

  private void adopt(JsonObject record) {
    if (!record.containsKey("voters")) {
      stream.follow(record.getString("id"));
      return;
    }
    List<RaftEndpoint> voters = NodeEndpoint.all(record.getJsonArray("voters"));
    List<RaftEndpoint> members = new ArrayList<>(voters);
    members.addAll(NodeEndpoint.all(record.getJsonArray("learners")));
    if (!members.contains(member.self)) {
      stream.follow(record.getString("id"));
      return;
    }
    member.group = record.getString("id");
    member.mode = LocalMember.Mode.MEMBER;
    store.controlSnapshot()
        .compose(snapshot -> {
          state.restore(snapshot);
          persistedSeq = Math.max(persistedSeq, snapshot.seq());
          vertx.eventBus().publish(ControlClient.RESTORED, snapshot, local);
          snapshotAfterStart = true;
          return startMember(members, voters, new EventBusTransport(vertx.eventBus(),
              ep -> presence.endpointAlive(ep, System.nanoTime()), transportMetrics));
        })
        .onSuccess(v -> log.info("Raft member {} started in new group {} (log continues from seq {})", member.endpoint,
            member.group, state.seq()))
        .onFailure(t -> {
          log.error("could not start the Raft member; joining again: {}", t.toString());
          member.mode = LocalMember.Mode.JOINING;
          member.raftNode = null;
        });
  }

  /**
   * This member is no longer in its group ({@link LeaderWatch#removedFromGroup}): its log is of no
   * use any more, so it rejoins as a gateway under a new incarnation, and the leader enlists it
   * again when a member is missing.
   */
  private void rejoin() {
    String old = member.endpoint;
    RaftNode removed = member.raftNode;
    member.raftNode = null;
    member.report = null;
    member.reincarnate();
    log.warn("this node ({}) is no longer a member of group {}; rejoining as {}", old, member.group, member.endpoint);
    Future.fromCompletionStage(removed.terminate(), context).otherwiseEmpty();
    for (MessageConsumer<?> c : endpointConsumers) c.unregister();
    consumers.removeAll(endpointConsumers);
    endpointConsumers.clear();
    consumers.addAll(registerEndpointConsumers());
    member.mode = LocalMember.Mode.JOINING;
    String g = member.group;
    member.group = null;
    stream.follow(g);
  }

  /** A gateway asked to become a learner starts its Raft member over the state it has. */
  private void onEnlist(Message<JsonObject> message) {
    JsonObject request = message.body();
    if (member.mode == LocalMember.Mode.MEMBER && member.raftNode != null && request.getString("group", "").equals(member.group)) {
      // the leader asks again (its first request timed out): the member is already running
      message.reply(new JsonObject().put("endpoint", member.endpoint));
      return;
    }
    if (member.mode != LocalMember.Mode.GATEWAY || !request.getString("group", "").equals(member.group) || stopping) {
      message.fail(409, "not a gateway of group " + request.getString("group"));
      return;
    }
    stream.stopFollowing();
    startMember(NodeEndpoint.all(request.getJsonArray("members")), NodeEndpoint.all(request.getJsonArray("voters")),
        new EventBusTransport(vertx.eventBus(), ep -> presence.endpointAlive(ep, System.nanoTime()), transportMetrics))
        .onSuccess(v -> {
          log.info("gateway {} became a Raft member of group {}", member.endpoint, member.group);
          message.reply(new JsonObject().put("endpoint", member.endpoint));
        })
        .onFailure(t -> {
          message.fail(500, t.toString());
          member.raftNode = null;
          stream.follow(member.group);
        });
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

  // ---- status and reads ---------------------------------------------------------------------

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
        .put("streamBytes", stream.streamedBytes());
  }

  private JsonObject clusterView() {
    NodeStatus s = currentStatus();
    JsonArray members = new JsonArray();
    if (!cluster.enabled()) {
      members.add(s.toJson().put("member", "voter").put("contact", cluster.contact()));
    } else {
      List<JsonObject> alive = new ArrayList<>(presence.alive(System.nanoTime()));
      alive.removeIf(i -> member.endpoint.equals(i.getString("endpoint")));
      alive.add(s.toJson().put("member", member.kind()).put("contact", cluster.contact()));
      alive.sort(Comparator.comparing(i -> i.getString("nodeId", "")));
      for (JsonObject info : alive) {
        JsonObject shown = info.copy();
        shown.remove("hz");
        members.add(shown);
      }
    }
    JsonObject out = s.toJson().put("self", member.endpoint).put("member", cluster.enabled() ? member.kind() : "voter")
        .put("members", members);
    if (member.raftNode != null) {
      out.put("voters", NodeEndpoint.ids(member.raftNode.getCommittedMembers().getVotingMembers()));
      JsonArray learners = new JsonArray();
      for (RaftEndpoint m : member.raftNode.getCommittedMembers().getMembers()) {
        if (!member.raftNode.getCommittedMembers().getVotingMembers().contains(m)) learners.add(String.valueOf(m.getId()));
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
    String leader = member.currentLeader(System.nanoTime());
    if (member.mode == LocalMember.Mode.MEMBER && member.report != null) {
      role = member.report.getRole().name();
      if (member.followsASilentLeader()) leader = null;
      term = member.report.getTerm().getTerm();
      commit = Math.max(member.report.getLog().getCommitIndex(), state.index());
    } else if (member.mode == LocalMember.Mode.GATEWAY) {
      role = "GATEWAY";
      JsonObject info = leader == null ? null : presence.get(leader, System.nanoTime());
      term = info == null ? status.term() : info.getLong("term", 0L);
      commit = info == null ? status.commitIndex() : info.getLong("commitIndex", 0L);
      if (System.nanoTime() - member.lastLeaderContactNanos > TimeUnit.SECONDS.toNanos(Math.max(3, config.heartbeatTimeoutSec() * 2L))
          && info == null) {
        leader = null;
      }
    } else {
      role = member.mode == LocalMember.Mode.JOINING ? "JOINING" : "NONE";
      term = 0;
      commit = 0;
    }
    if (!Objects.equals(leader, lastLeader)) {
      if (leader != null) leaderChanges++;
      if (lastLeader != null) proposals.failForwardedTo(lastLeader);
      lastLeader = leader;
    }
    NodeStatus previous = status;
    if (leader != null) member.leaderKnownNanos = System.nanoTime();
    status = new NodeStatus(nodeId, role, term, leader, commit, state.index(), waiters.persistedIndex(), state.seq(),
        persistedSeq, member.endpoint, member.group, leaderChanges);
    if (!status.role().equals(previous.role()) || status.term() != previous.term()
        || !Objects.equals(status.leader(), previous.leader())) {
      log.info("Raft {}: {} in term {}, leader {}", member.endpoint, status.role(), status.term(), status.leader());
      vertx.eventBus().publish(ROLE, status, local);
    }
  }

  private void onReport(RaftNodeReport fresh) {
    member.report = fresh;
    refreshStatus();
    if (proposals.anyAwaitingLeader()) context.runOnContext(v -> proposals.releaseAwaitingLeader());
  }
}
