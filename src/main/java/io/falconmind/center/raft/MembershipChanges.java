package io.falconmind.center.raft;

import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import io.microraft.report.RaftGroupMembers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Changes to the members of the Raft group, one at a time. The leader keeps the group whole, as
 * {@link GroupUpkeep} decides (removes an absent member, promotes a learner, enlists a gateway as a
 * learner), and removes a member that asks to leave. A member that stops hands leadership to the
 * most caught-up other voter when it leads, then asks the leader to remove it; a leader inside
 * which MicroRaft failed hands leadership over the same way. Not thread-safe: used on the Raft
 * verticle's context.
 */
final class MembershipChanges {

  private static final Logger log = LoggerFactory.getLogger(MembershipChanges.class);

  private final Context context;
  private final Vertx vertx;
  private final LocalMember member;
  private final Presence presence;
  private final GroupUpkeep upkeep;
  private final BooleanSupplier stopping;
  private boolean changing;
  /** Leadership is being handed over after MicroRaft failed inside this leader. */
  private boolean recovering;

  MembershipChanges(Context context, LocalMember member, Presence presence, GroupUpkeep upkeep, BooleanSupplier stopping) {
    this.context = context;
    this.vertx = context.owner();
    this.member = member;
    this.presence = presence;
    this.upkeep = upkeep;
    this.stopping = stopping;
  }

  /** The leader's periodic check: the next change the group needs, unless one is under way. */
  void keepGroupWhole(long now) {
    if (changing) return;
    RaftGroupMembers committed = member.raftNode.getCommittedMembers();
    RaftGroupMembers effective = member.raftNode.getEffectiveMembers();
    if (committed.getLogIndex() != effective.getLogIndex()) return;
    long commit = member.report == null ? 0 : member.report.getLog().getCommitIndex();
    GroupUpkeep.Change next = upkeep.next(member.self, committed.getMembers(), committed.getVotingMembers(),
        id -> presence.get(id, now), presence.alive(now), member.group, commit, now);
    switch (next.kind()) {
      case REMOVE, PROMOTE -> change(next.member(), next.mode(), committed, next.why());
      case ENLIST -> enlist(next.member());
      case NONE -> {
      }
    }
  }

  private void change(RaftEndpoint target, MembershipChangeMode mode, RaftGroupMembers committed, String why) {
    changing = true;
    log.info("membership change: {} {} ({})", mode, target.getId(), why);
    member.raftNode.changeMembership(target, mode, committed.getLogIndex()).whenComplete((r, e) -> context.runOnContext(v -> {
      changing = false;
      if (e != null) {
        log.warn("membership change {} {} failed: {}", mode, target.getId(), e.toString());
      } else {
        log.info("members now {} (voters {})", r.getResult().getMembers(), r.getResult().getVotingMembers());
      }
    }));
  }

  /** Asks a gateway to start a Raft member, then adds it as a learner. */
  private void enlist(RaftEndpoint gateway) {
    changing = true;
    RaftGroupMembers initialMembers = member.raftNode.getInitialMembers();
    JsonObject request = new JsonObject().put("group", member.group)
        .put("members", NodeEndpoint.ids(initialMembers.getMembers()))
        .put("voters", NodeEndpoint.ids(initialMembers.getVotingMembers()));
    vertx.eventBus().<JsonObject>request(PeerAddresses.enlist(String.valueOf(gateway.getId())), request,
            new DeliveryOptions().setSendTimeout(15_000))
        .onComplete(ar -> {
          changing = false;
          if (ar.failed()) {
            log.warn("gateway {} did not start a Raft member: {}", gateway.getId(), ar.cause().getMessage());
            return;
          }
          if (member.isLeader()) {
            change(gateway, MembershipChangeMode.ADD_LEARNER, member.raftNode.getCommittedMembers(), "a learner is missing");
          }
        });
  }

  /** The leader removes a member that leaves on its own (SIGTERM). */
  void onLeave(Message<JsonObject> message) {
    if (!member.isLeader() || changing) {
      message.fail(503, "not the leader, or a membership change is in progress");
      return;
    }
    RaftEndpoint leaving = new NodeEndpoint(message.body().getString("endpoint"));
    RaftGroupMembers committed = member.raftNode.getCommittedMembers();
    if (!committed.getMembers().contains(leaving)) {
      message.reply(new JsonObject());
      return;
    }
    changing = true;
    member.raftNode.changeMembership(leaving, MembershipChangeMode.REMOVE_MEMBER, committed.getLogIndex())
        .whenComplete((r, e) -> context.runOnContext(v -> {
          changing = false;
          if (e != null) {
            message.fail(503, e.toString());
          } else {
            log.info("{} left the group", leaving.getId());
            message.reply(new JsonObject());
          }
        }));
  }

  /** Hands leadership to another voter, then asks the leader to remove this member; gives up after 5 s. */
  Future<Void> leave() {
    if (member.raftNode == null) return Future.succeededFuture();
    Future<Void> handover = Future.succeededFuture();
    if (member.isLeader()) {
      RaftEndpoint target = mostCaughtUpOtherVoter();
      if (target != null) {
        log.info("handing leadership over to {}", target.getId());
        handover = Future.fromCompletionStage(member.raftNode.transferLeadership(target), context)
            .timeout(3, TimeUnit.SECONDS)
            .onFailure(e -> log.warn("leadership handover failed: {}", e.toString()))
            .<Void>mapEmpty().otherwiseEmpty();
      }
    }
    return handover.compose(v -> {
      Promise<Void> left = Promise.promise();
      askToLeave(left, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
      return left.future();
    });
  }

  private void askToLeave(Promise<Void> left, long deadline) {
    if (System.nanoTime() > deadline) {
      log.warn("could not leave the Raft group in time; the leader will replace this member after the grace period");
      left.tryComplete();
      return;
    }
    String leader = member.report == null || member.report.getTerm().getLeaderEndpoint() == null ? null
        : String.valueOf(member.report.getTerm().getLeaderEndpoint().getId());
    if (leader == null || (leader.equals(member.endpoint) && member.raftNode.getCommittedMembers().getMembers().size() == 1)) {
      if (leader == null) {
        vertx.setTimer(200, id -> askToLeave(left, deadline));
      } else {
        left.tryComplete();
      }
      return;
    }
    vertx.eventBus().request(PeerAddresses.leave(leader), new JsonObject().put("endpoint", member.endpoint),
            new DeliveryOptions().setSendTimeout(3_000))
        .onSuccess(r -> {
          log.info("left the Raft group");
          left.tryComplete();
        })
        .onFailure(e -> vertx.setTimer(200, id -> askToLeave(left, deadline)));
  }

  /**
   * MicroRaft failed inside this leader, so it may fail the same way on every command (seen: a
   * follower's replication state pointing past the log after membership changes). Another voter
   * takes over; its fresh replication state lets the group go on.
   */
  void recoverFromInternalFailure(Throwable error) {
    if (!member.isLeader() || recovering || stopping.getAsBoolean()) return;
    RaftEndpoint target = mostCaughtUpOtherVoter();
    log.error("Raft failed inside this leader ({}); handing leadership to {}", error,
        target == null ? "nobody (no other voter is present)" : target.getId());
    if (target == null) return;
    recovering = true;
    Future.fromCompletionStage(member.raftNode.transferLeadership(target), context)
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
    for (RaftEndpoint v : member.raftNode.getCommittedMembers().getVotingMembers()) {
      if (v.equals(member.self)) continue;
      JsonObject info = presence.get(String.valueOf(v.getId()), now);
      if (info != null && info.getLong("appliedIndex", 0L) > best) {
        best = info.getLong("appliedIndex", 0L);
        target = v;
      }
    }
    return target;
  }
}
