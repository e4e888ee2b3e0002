package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

/**
 * This node's view of the Raft group.
 *
 * @param role LEADER, FOLLOWER, CANDIDATE, LEARNER or NONE (not started)
 */
public record NodeStatus(String nodeId, String role, long term, String leader, long commitIndex,
                         long appliedIndex, long persistedIndex, long seq, long persistedSeq) {

  public boolean hasLeader() {
    return leader != null;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("nodeId", nodeId).put("role", role).put("term", term);
    if (leader != null) json.put("leader", leader);
    return json.put("commitIndex", commitIndex).put("appliedIndex", appliedIndex)
        .put("persistedIndex", persistedIndex).put("seq", seq).put("persistedSeq", persistedSeq);
  }
}
