package io.falconmind.center.raft;

import io.vertx.core.json.JsonObject;

/**
 * What the Raft part needs to know about the cluster.
 *
 * @param enabled         false: a standalone node, a group of one that forms at once
 * @param voters          voting members the group keeps (1, 3 or 5)
 * @param learners        non-voting warm standbys the group keeps (0..2)
 * @param bootstrapExpect nodes that must be present before a new group forms
 * @param voterGraceSec   how long a voter may be absent before it is replaced
 * @param offlineGraceSec how long devices of an absent node stay online before they are disconnected
 * @param contact         how this node is reached, shown in the member list ({@code http}, {@code mqtt})
 */
public record Clustering(boolean enabled, int voters, int learners, int bootstrapExpect, int voterGraceSec,
                         int offlineGraceSec, JsonObject contact) {

  public static Clustering standalone(JsonObject contact) {
    return new Clustering(false, 1, 0, 1, 15, 10, contact);
  }
}
