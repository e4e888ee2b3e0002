package io.falconmind.center.mqtt;

import io.vertx.core.shareddata.Shareable;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a persistent MQTT session keeps between two connections of its client on this node:
 * subscriptions (filter to granted QoS), unacknowledged QoS 1 messages, and the attempts already
 * delivered. Immutable, so it is shared between event loops by reference.
 *
 * @param expiresAt epoch ms after which the session is gone; {@link Long#MAX_VALUE} for never
 */
record StoredSession(String clientId, Map<String, Integer> subscriptions,
                     List<OutboundWindow.Outgoing> pending, Set<String> delivered, long expiresAt)
    implements Shareable {

  StoredSession {
    subscriptions = Map.copyOf(subscriptions);
    pending = List.copyOf(pending);
    delivered = Set.copyOf(delivered);
  }
}
