package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** A Raft member, identified by its node id. */
record NodeEndpoint(String id) implements RaftEndpoint {
  @Override
  public Object getId() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }

  /** The endpoints named in {@code ids}, as a group record or an enlist request lists them. */
  static List<RaftEndpoint> all(JsonArray ids) {
    List<RaftEndpoint> out = new ArrayList<>();
    for (Object id : ids) out.add(new NodeEndpoint((String) id));
    return out;
  }

  /** The ids of {@code endpoints}, to announce or to send. */
  static JsonArray ids(Collection<RaftEndpoint> endpoints) {
    JsonArray out = new JsonArray();
    for (RaftEndpoint e : endpoints) out.add(String.valueOf(e.getId()));
    return out;
  }
}
