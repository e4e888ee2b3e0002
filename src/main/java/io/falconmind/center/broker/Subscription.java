package io.falconmind.center.broker;

/**
 * One subscription of a session, as its SUBSCRIBE asked for it.
 *
 * @param filter            the topic filter, without any {@code $share/{group}/} prefix
 * @param shareGroup        the shared-subscription group, or null for an ordinary subscription
 * @param qos               the granted maximum QoS (0-2)
 * @param noLocal           MQTT 5: never deliver the client's own publications
 * @param retainAsPublished MQTT 5: forward the RETAIN flag as published instead of clearing it
 * @param retainHandling    MQTT 5: 0 send retained on subscribe, 1 only for a new subscription, 2 never
 * @param identifier        MQTT 5 subscription identifier, 0 when none
 */
public record Subscription(String filter, String shareGroup, int qos, boolean noLocal, boolean retainAsPublished,
                           int retainHandling, int identifier) {

  /** The filter as the client wrote it (with its {@code $share} prefix). */
  public String key() {
    return shareGroup == null ? filter : "$share/" + shareGroup + "/" + filter;
  }
}
