package io.falconmind.center.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A session as it moves from one node to another (its client connected elsewhere, or its node is
 * gone) and as it is kept in the cluster's session store: its subscriptions, the QoS 1/2 messages
 * sent to the client and not yet acknowledged (with their packet identifiers, so that the client
 * recognises them when they are sent again), the QoS 1/2 messages waiting to be sent, the packet
 * identifiers of QoS 2 publications of the client's that await its PUBREL, how long it outlives
 * its connection, since when its client is away (0 while connected), and, as it moves, the
 * publications it took in lately ({@link RecentlyTaken}).
 *
 * @param expirySec      seconds the session outlives its connection; -1 never
 * @param disconnectedAt wall-clock millis its client left, or 0 while connected
 * @param taken          numbers of the publications it took in lately, by origin node
 */
record SessionState(List<Subscription> subscriptions, List<BrokerSession.Unacked> unacked,
                    List<BrokerSession.Outgoing> owed, List<Integer> receivedQos2, long expirySec, long disconnectedAt,
                    Map<String, long[]> taken) {

  /** A session with nothing in flight either way. */
  SessionState(List<Subscription> subscriptions, List<BrokerSession.Outgoing> owed, long expirySec, long disconnectedAt) {
    this(subscriptions, List.of(), owed, List.of(), expirySec, disconnectedAt, Map.of());
  }

  /** Every message it brings along for its client: those in flight first, then those waiting. */
  List<BrokerSession.Outgoing> messages() {
    List<BrokerSession.Outgoing> all = new ArrayList<>(unacked.size() + owed.size());
    for (BrokerSession.Unacked u : unacked) all.add(u.message());
    all.addAll(owed);
    return all;
  }
}
