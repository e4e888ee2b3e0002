package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;
import io.microraft.model.message.RaftMessage;
import io.microraft.transport.Transport;

/**
 * Transport of a group whose only member is this node: there is no one to send to. Raft messages
 * addressed elsewhere are dropped, which Raft tolerates by design.
 */
final class SingleMemberTransport implements Transport {

  private final RaftEndpoint self;

  SingleMemberTransport(RaftEndpoint self) {
    this.self = self;
  }

  @Override
  public void send(RaftEndpoint target, RaftMessage message) {
    // a group of one: no peers
  }

  @Override
  public boolean isReachable(RaftEndpoint endpoint) {
    return self.equals(endpoint);
  }
}
