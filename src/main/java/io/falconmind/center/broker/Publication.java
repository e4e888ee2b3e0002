package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.buffer.Buffer;

/**
 * A message as the broker routes it: what its publisher sent, and what forwarding keeps of it.
 * Immutable once built; shared by every subscriber it goes to.
 *
 * @param topic      the topic name (after topic-alias resolution)
 * @param payload    the application message
 * @param qos        the QoS it was published with
 * @param retain     the RETAIN flag it was published with
 * @param properties MQTT 5 properties forwarded to subscribers: payload format, content type,
 *                   response topic, correlation data, user properties (never null)
 * @param expiresAt  wall-clock millis after which it is no longer delivered, or 0 for never
 * @param publisher  client id of the publisher, or null for the broker itself (wills keep theirs)
 * @param origin     in a cluster, the node where it was published (null until it is routed there)
 * @param seq        its number among the publications of {@code origin}, rising in the order they
 *                   were routed; with {@code origin}, what tells a copy that reached a session by
 *                   two ways from the first
 */
public record Publication(String topic, Buffer payload, int qos, boolean retain, MqttProperties properties,
                          long expiresAt, String publisher, String origin, long seq) {

  /** A publication not yet routed in a cluster. */
  public Publication(String topic, Buffer payload, int qos, boolean retain, MqttProperties properties,
                     long expiresAt, String publisher) {
    this(topic, payload, qos, retain, properties, expiresAt, publisher, null, 0);
  }

  public boolean expired(long now) {
    return expiresAt > 0 && now >= expiresAt;
  }

  /** Seconds left before expiry, at least 1, for the Message Expiry Interval sent on; 0 when none. */
  public long remainingSeconds(long now) {
    return expiresAt == 0 ? 0 : Math.max(1, (expiresAt - now + 999) / 1000);
  }

  public Publication withRetain(boolean flag) {
    return flag == retain ? this : new Publication(topic, payload, qos, flag, properties, expiresAt, publisher, origin, seq);
  }

  /** This publication as routed from node {@code node} as its {@code number}th. */
  public Publication routedFrom(String node, long number) {
    return new Publication(topic, payload, qos, retain, properties, expiresAt, publisher, node, number);
  }
}
