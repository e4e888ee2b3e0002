package io.falconmind.center.raft;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.ControlStateMachine;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The control state of gateways, the nodes outside the Raft group. The leader publishes every
 * command it applies on {@link #ADDRESS} ({@link Frames#ENTRIES}, batched per turn of its context)
 * and keeps the latest in an {@link AppliedLog}. A gateway applies the entries that follow its
 * state; on a gap, before it has synced with its group, or when the leader's presence reports more
 * than it has, it asks the leader to catch it up: with the entries it missed, or, when the log no
 * longer reaches back that far, with a snapshot of the whole state. Not thread-safe: used on the
 * Raft verticle's context.
 */
final class GatewayStream {

  /** Clustered publish of the leader's applied commands, for gateways. */
  static final String ADDRESS = "center.raft.stream";

  private static final Logger log = LoggerFactory.getLogger(GatewayStream.class);
  private static final int CATCH_UP_BATCH = 5_000;
  private static final int APPLIED_LOG_ENTRIES = 20_000;

  private final Context context;
  private final EventBus bus;
  private final LocalMember member;
  private final Presence presence;
  private final ControlState state;
  private final ControlStateMachine machine;
  private final ControlStateMachineAdapter.Listener replica;
  private final AppliedLog appliedLog = new AppliedLog(APPLIED_LOG_ENTRIES);
  private final List<AppliedLog.Entry> streamOut = new ArrayList<>();
  private long streamedBytes;
  private MessageConsumer<Buffer> consumer;
  private boolean catchingUp;
  /** A gateway has the state of its group only once it installed a snapshot from the leader. */
  private boolean synced;

  /**
   * @param replica told of every entry a gateway applies from the stream, and of every snapshot it
   *                installs, as a member's state machine tells of its own
   */
  GatewayStream(Context context, LocalMember member, Presence presence, ControlState state,
                ControlStateMachine machine, ControlStateMachineAdapter.Listener replica) {
    this.context = context;
    this.bus = context.owner().eventBus();
    this.member = member;
    this.presence = presence;
    this.state = state;
    this.machine = machine;
    this.replica = replica;
  }

  /** An entry this node applied: kept for catching gateways up, and published when this node leads. */
  void applied(long previousIndex, Command command, Applied applied) {
    AppliedLog.Entry entry = new AppliedLog.Entry(previousIndex, applied.index(), command);
    appliedLog.add(entry);
    if (member.isLeader()) {
      if (streamOut.isEmpty()) context.runOnContext(v -> publish());
      streamOut.add(entry);
    }
  }

  /** The state was replaced by a snapshot: the entries before it no longer chain to it. */
  void restored() {
    appliedLog.clear();
  }

  /** Bytes published on the stream by this node. */
  long streamedBytes() {
    return streamedBytes;
  }

  private void publish() {
    if (streamOut.isEmpty()) return;
    Buffer frame = Frames.entries(member.group, member.term(), List.copyOf(streamOut));
    streamOut.clear();
    streamedBytes += frame.length();
    bus.publish(ADDRESS, frame);
  }

  /** The leader answers a gateway with the entries it missed, or a snapshot of the whole state. */
  void onCatchUp(Message<JsonObject> message) {
    if (!member.isLeader()) {
      message.fail(503, "not the leader");
      return;
    }
    long after = message.body().getLong("after", -1L);
    long term = member.term();
    if (member.group.equals(message.body().getString("group")) && after >= 0) {
      if (after == state.index()) {
        message.reply(Frames.entries(member.group, term, List.of()));
        return;
      }
      List<AppliedLog.Entry> entries = appliedLog.after(after, CATCH_UP_BATCH);
      if (entries != null) {
        message.reply(Frames.entries(member.group, term, entries));
        return;
      }
    }
    ControlSnapshot snapshot = state.snapshot();
    String group = member.group;
    context.owner().executeBlocking(() -> SnapshotCodec.encode(snapshot), false)
        .onSuccess(bytes -> message.reply(Frames.snapshot(group, term, bytes)))
        .onFailure(t -> message.fail(500, t.toString()));
  }

  /** This node becomes, or stays, a gateway of {@code groupId} and catches up with it. */
  void follow(String groupId) {
    if (!groupId.equals(member.group)) synced = false;
    member.mode = LocalMember.Mode.GATEWAY;
    member.group = groupId;
    log.info("node {} is a gateway of Raft group {}", member.endpoint, member.group);
    if (consumer == null) consumer = bus.consumer(ADDRESS, m -> onStream(m.body()));
    catchUp(state.index());
  }

  /** This gateway becomes a member: the stream is no longer its source. */
  void stopFollowing() {
    if (consumer != null) {
      consumer.unregister();
      consumer = null;
    }
  }

  /** A gateway's periodic check: it follows the leader's group, and catches up when the leader has applied more and is quiet. */
  void tick(long now) {
    String leader = member.currentLeader(now);
    if (leader == null) return;
    JsonObject info = presence.get(leader, now);
    if (info == null) return;
    if (!member.group.equals(info.getString("group"))) {
      follow(info.getString("group"));
      return;
    }
    if (info.getLong("appliedIndex", 0L) > state.index() && now - member.lastLeaderContactNanos > TimeUnit.SECONDS.toNanos(1)) {
      catchUp(state.index());
    }
  }

  private void onStream(Buffer frame) {
    if (member.mode != LocalMember.Mode.GATEWAY) return;
    Frames.Batch batch;
    try {
      batch = Frames.readEntries(frame);
    } catch (RuntimeException e) {
      log.warn("dropped an undecodable stream frame: {}", e.toString());
      return;
    }
    if (!batch.group().equals(member.group)) return;
    member.lastLeaderContactNanos = System.nanoTime();
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
      replica.applied(e.previous(), e.command(), machine.apply(e.index(), e.command()));
    }
    return true;
  }

  /**
   * Asks the leader for what follows {@code requested}, or for a snapshot when it is below 0 or
   * this gateway has not yet synced with its group (a state loaded from PostgreSQL at start is not
   * the group's state at any index).
   */
  private void catchUp(long requested) {
    long after = synced ? requested : -1;
    if (catchingUp) return;
    String leader = member.currentLeader(System.nanoTime());
    if (leader == null) return;
    catchingUp = true;
    bus.<Buffer>request(PeerAddresses.catchUp(leader), new JsonObject().put("group", member.group).put("after", after),
            new DeliveryOptions().setSendTimeout(30_000))
        .onComplete(ar -> {
          catchingUp = false;
          if (ar.failed()) {
            log.debug("catching up from {} failed: {}", leader, ar.cause().getMessage());
            return;
          }
          member.lastLeaderContactNanos = System.nanoTime();
          Buffer frame = ar.result().body();
          if (Frames.kind(frame) == Frames.SNAPSHOT) {
            install(Frames.readSnapshot(frame));
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

  private void install(Frames.Snapshot s) {
    context.owner().executeBlocking(() -> SnapshotCodec.decode(s.bytes()), false).onSuccess(snapshot -> {
      if (member.mode != LocalMember.Mode.GATEWAY) return;
      member.group = s.group();
      state.restore(snapshot);
      synced = true;
      replica.restored(snapshot);
      catchUp(state.index());
    });
  }
}
