package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.RaftRole;
import io.microraft.report.RaftNodeReport;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * This node as a participant of the control plane: its Raft endpoint (node id and incarnation);
 * whether it is joining, a member of the group (voter or learner) or a gateway; the group; its
 * MicroRaft node with the latest report of it; and when it last heard from the leader. It answers
 * what the parts of the Raft verticle ask about leadership. Not thread-safe: lives on the Raft
 * verticle's context, and only that verticle and its parts change it.
 */
final class LocalMember {

  enum Mode { JOINING, MEMBER, GATEWAY }

  final String nodeId;
  final MonotonicClock raftClock = new MonotonicClock();
  private final boolean clustered;
  private final long heartbeatTimeoutMs;
  private final Presence presence;

  /** This node's Raft identity: node id and incarnation; a new one when the node must rejoin. */
  String endpoint;
  NodeEndpoint self;
  Mode mode = Mode.JOINING;
  /** The group this node is a member or a gateway of; null while joining. */
  String group;
  /** Null unless a member. */
  RaftNode raftNode;
  /** The member's latest report; null before the first. */
  RaftNodeReport report;
  /** When this follower last heard the leader, by {@link #raftClock}; -1 when unknown. */
  long leaderHeardAt = -1;
  /** When this gateway last heard from the leader: a stream frame or an answer (nanoTime). */
  long lastLeaderContactNanos;
  /** When this node last knew a leader (nanoTime; 0: never). */
  long leaderKnownNanos;

  LocalMember(String nodeId, boolean clustered, long heartbeatTimeoutMs, Presence presence) {
    this.nodeId = nodeId;
    this.clustered = clustered;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.presence = presence;
    this.endpoint = clustered ? incarnation(nodeId) : nodeId;
    this.self = new NodeEndpoint(endpoint);
  }

  /** Takes a new incarnation: the old endpoint's log is of no use any more. */
  void reincarnate() {
    endpoint = incarnation(nodeId);
    self = new NodeEndpoint(endpoint);
  }

  private static String incarnation(String nodeId) {
    return nodeId + "." + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36)
        + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
  }

  boolean isLeader() {
    return mode == Mode.MEMBER && report != null && report.getRole() == RaftRole.LEADER;
  }

  /** Whether proposals are replicated on this node: it is a standalone node's member, or the leader. */
  boolean replicatesProposals() {
    return mode == Mode.MEMBER && (!clustered || isLeader());
  }

  /** The current term as the latest report says; 0 before it. */
  long term() {
    return report == null ? 0 : report.getTerm().getTerm();
  }

  /** Whether this follower has not heard its leader for longer than {@code withinMillis}. */
  boolean leaderSilent(long withinMillis) {
    return leaderHeardAt >= 0 && raftClock.millis() - leaderHeardAt > withinMillis;
  }

  /** Whether this member follows a leader it has not heard for the heartbeat timeout. */
  boolean followsASilentLeader() {
    return report != null && report.getRole() != RaftRole.LEADER && leaderSilent(heartbeatTimeoutMs);
  }

  /**
   * This node lost contact with the leader (it has not heard it for the heartbeat timeout), as
   * opposed to seeing leadership or membership change hands.
   */
  boolean leaderLost(long nowNanos) {
    return switch (mode) {
      case MEMBER -> followsASilentLeader();
      case GATEWAY -> nowNanos - lastLeaderContactNanos > TimeUnit.MILLISECONDS.toNanos(heartbeatTimeoutMs);
      default -> true;
    };
  }

  /** The leader's endpoint as this node knows it, or null without recent contact. */
  String currentLeader(long nowNanos) {
    if (!clustered) return isLeader() ? endpoint : null;
    if (mode == Mode.MEMBER) {
      RaftEndpoint leader = report == null ? null : report.getTerm().getLeaderEndpoint();
      // a follower that has not heard its leader for the heartbeat timeout forwards nothing: the
      // caller is told at once that nothing happened, rather than that the outcome is unknown
      if (leader == null || followsASilentLeader()) return null;
      return String.valueOf(leader.getId());
    }
    String best = null;
    long bestTerm = -1;
    for (JsonObject info : presence.alive(nowNanos)) {
      if ("LEADER".equals(info.getString("role")) && info.getLong("term", 0L) > bestTerm
          && (group == null || group.equals(info.getString("group")))) {
        best = info.getString("endpoint");
        bestTerm = info.getLong("term", 0L);
      }
    }
    return best;
  }

  /** How this node takes part, as its presence announces it: joining, gateway, learner or voter. */
  String kind() {
    if (mode == Mode.GATEWAY) return "gateway";
    if (mode == Mode.JOINING) return "joining";
    if (report != null && report.getRole() == RaftRole.LEARNER) return "learner";
    return "voter";
  }
}
