package io.falconmind.center.broker;

import java.util.List;

/**
 * A session as it moves from one node to another when its client connects elsewhere: its
 * subscriptions, and the QoS 1/2 messages owed to the client (in flight first, then waiting).
 */
record SessionState(List<Subscription> subscriptions, List<BrokerSession.Outgoing> owed) {
}
