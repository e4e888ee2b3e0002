package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

/**
 * This node's view of the Raft group.
 *
 * @param role          LEADER, FOLLOWER, CANDIDATE, LEARNER, GATEWAY (follows the leader's stream
 *                      without a Raft log), JOINING (no group yet) or NONE (not started)
 * @param endpoint      this node's Raft endpoint: its id and incarnation
 * @param leader        the leader's endpoint, or null when this node has no contact with a leader
 * @param leaderChanges how often this node has seen the leader change
 */
public record NodeStatus(String nodeId, String role, long term, String leader, long commitIndex,
                         long appliedIndex, long persistedIndex, long seq, long persistedSeq,
                         String endpoint, String group, long leaderChanges) {

  public NodeStatus(String nodeId, String role, long term, String leader, long commitIndex,
                    long appliedIndex, long persistedIndex, long seq, long persistedSeq) {
    this(nodeId, role, term, leader, commitIndex, appliedIndex, persistedIndex, seq, persistedSeq, nodeId,
        null, 0);
  }

  public boolean hasLeader() {
    return leader != null;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("nodeId", nodeId).put("endpoint", endpoint).put("role", role)
        .put("term", term);
    if (group != null) json.put("group", group);
    if (leader != null) json.put("leader", leader);
    return json.put("commitIndex", commitIndex).put("appliedIndex", appliedIndex)
        .put("persistedIndex", persistedIndex).put("seq", seq).put("persistedSeq", persistedSeq)
        .put("leaderChanges", leaderChanges);
  }
}
