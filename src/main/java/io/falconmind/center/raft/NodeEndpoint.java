package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;

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
}
