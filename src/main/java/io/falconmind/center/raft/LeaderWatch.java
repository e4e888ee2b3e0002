package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;
import io.microraft.RaftRole;
import io.microraft.model.impl.DefaultRaftModelFactory;
import io.microraft.report.RaftNodeReport;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower's watch on its leader, once per tick of the Raft verticle: when it last heard the
 * leader's heartbeat, whether the leader's process is gone (then an election starts at once rather
 * than after the heartbeat timeout), and whether the leader's announcements leave this member out
 * (it was removed from the group). Not thread-safe: used on the Raft verticle's context.
 */
final class LeaderWatch {

  private static final Logger log = LoggerFactory.getLogger(LeaderWatch.class);
  /** Ticks a member must be missing from the leader's list before it counts as removed. */
  private static final int REMOVED_AFTER_TICKS = 40;

  private final Context context;
  private final LocalMember member;
  private final Presence presence;
  private final ClusterManager clusterManager;
  private boolean reportPending;
  private int orphanTicks;
  /** The leader's cluster-manager node and the term it leads, to notice at once when it is gone. */
  private String leaderHzNode;
  private long electionTriggeredInTerm = -1;

  /** @param clusterManager the cluster's membership; null on a standalone node */
  LeaderWatch(Context context, LocalMember member, Presence presence, ClusterManager clusterManager) {
    this.context = context;
    this.member = member;
    this.presence = presence;
    this.clusterManager = clusterManager;
  }

  /**
   * Reads when this follower last heard from its leader. The member's own leader timeout does not
   * always fire (after a pre-vote in the same term it stops checking), so readiness and the quick
   * election below judge contact by the last heartbeat itself.
   */
  void pollContact() {
    if (reportPending || member.raftNode == null) return;
    reportPending = true;
    member.raftNode.getReport().whenComplete((r, e) -> context.runOnContext(v -> {
      reportPending = false;
      if (e == null) member.leaderHeardAt = r.getResult().getLeaderHeartbeatTimestamp().orElse(-1L);
    }));
  }

  /**
   * A leader whose process is gone (its cluster-manager node left, as it does within a second of a
   * crash) need not be waited for until its heartbeats time out: the first voter in endpoint order
   * starts an election at once, as if the leader had handed over. A frozen or cut-off leader is
   * still detected by the heartbeat timeout.
   */
  void electIfLeaderLeftCluster(long now) {
    RaftEndpoint leader = member.report == null ? null : member.report.getTerm().getLeaderEndpoint();
    if (leader == null || clusterManager == null) {
      leaderHzNode = null;
      return;
    }
    long term = member.report.getTerm().getTerm();
    JsonObject info = presence.get(String.valueOf(leader.getId()), now);
    if (info != null && info.getString("hz") != null) leaderHzNode = info.getString("hz");
    if (leaderHzNode == null || electionTriggeredInTerm == term || clusterManager.getNodes().contains(leaderHzNode)) {
      return;
    }
    if (member.report.getRole() != RaftRole.FOLLOWER || !member.leaderSilent(300)) return;
    if (!firstOfAMajority(leader, now)) return;
    electionTriggeredInTerm = term;
    log.info("leader {} left the cluster; starting an election", leader.getId());
    member.raftNode.getReport().whenComplete((r, e) -> {
      if (e != null) return;
      RaftNodeReport fresh = r.getResult();
      if (fresh.getTerm().getTerm() != term || !leader.equals(fresh.getTerm().getLeaderEndpoint())) return;
      member.raftNode.handle(new DefaultRaftModelFactory().createTriggerLeaderElectionRequestBuilder()
          .setGroupId(member.group).setSender(leader).setTerm(fresh.getTerm().getTerm())
          .setLastLogTerm(fresh.getLog().getLastLogOrSnapshotTerm())
          .setLastLogIndex(fresh.getLog().getLastLogOrSnapshotIndex()).build());
    });
  }

  /**
   * Whether this member is the first in endpoint order of the voters present besides the gone
   * leader, and those are a majority: a node cut off with a minority must not disturb the others.
   */
  private boolean firstOfAMajority(RaftEndpoint leader, long now) {
    var voters = member.raftNode.getCommittedMembers().getVotingMembers();
    int reachable = 0;
    String first = null;
    for (RaftEndpoint v : voters) {
      String id = String.valueOf(v.getId());
      if (v.equals(leader) || !(v.equals(member.self) || presence.endpointAlive(id, now))) continue;
      reachable++;
      if (first == null || id.compareTo(first) < 0) first = id;
    }
    return reachable > voters.size() / 2 && member.endpoint.equals(first);
  }

  /**
   * Whether the group removed this member while it could not hear (frozen or cut off past the
   * grace period), or never added it (a gateway that started a member): the latest leader of its
   * group announces its members without this one, tick after tick. A member just enlisted is not
   * in that list until its addition commits, so one tick proves nothing.
   */
  boolean removedFromGroup(long now) {
    JsonObject leader = null;
    for (JsonObject info : presence.alive(now)) {
      if ("LEADER".equals(info.getString("role")) && member.group.equals(info.getString("group"))
          && info.getJsonArray("groupMembers") != null
          && (leader == null || info.getLong("term", 0L) > leader.getLong("term", 0L))) {
        leader = info;
      }
    }
    if (leader == null || member.endpoint.equals(leader.getString("endpoint"))
        || leader.getJsonArray("groupMembers").contains(member.endpoint)) {
      orphanTicks = 0;
      return false;
    }
    if (++orphanTicks < REMOVED_AFTER_TICKS) return false;
    orphanTicks = 0;
    return true;
  }
}
