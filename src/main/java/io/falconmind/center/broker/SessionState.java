package io.falconmind.center.broker;

import java.util.List;

/**
 * A session as it moves from one node to another (its client connected elsewhere, or its node is
 * gone) and as it is kept in the cluster's session store: its subscriptions, the QoS 1/2 messages
 * owed to the client (in flight first, then waiting), how long it outlives its connection, and
 * since when its client is away (0 while connected).
 *
 * @param expirySec      seconds the session outlives its connection; -1 never
 * @param disconnectedAt wall-clock millis its client left, or 0 while connected
 */
record SessionState(List<Subscription> subscriptions, List<BrokerSession.Outgoing> owed, long expirySec,
                    long disconnectedAt) {
}
