package io.falconmind.center.broker;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** The broker's figures on {@code /metrics} ({@code center_mqtt_broker_*}), read from the broker when scraped. */
public final class BrokerMetrics {

  private BrokerMetrics() {
  }

  public static void register(Broker broker, MeterRegistry registry) {
    BrokerStats stats = broker.stats();
    Gauge.builder("center.mqtt.broker.clients", stats, BrokerStats::connectedClients)
        .description("Broker clients connected to this node").register(registry);
    Gauge.builder("center.mqtt.broker.sessions", broker, Broker::sessionCount)
        .description("Broker sessions held by this node, connected or not").register(registry);
    Gauge.builder("center.mqtt.broker.subscriptions", broker, Broker::subscriptionCount)
        .description("Subscriptions of the sessions held by this node").register(registry);
    Gauge.builder("center.mqtt.broker.retained", broker, Broker::retainedCount)
        .description("Retained messages known to this node").register(registry);
    FunctionCounter.builder("center.mqtt.broker.messages.received", stats, BrokerStats::messagesReceived)
        .description("PUBLISH packets accepted from broker clients").register(registry);
    FunctionCounter.builder("center.mqtt.broker.messages.sent", stats, BrokerStats::messagesSent)
        .description("PUBLISH packets sent to broker clients").register(registry);
    FunctionCounter.builder("center.mqtt.broker.messages.dropped", stats, BrokerStats::messagesDropped)
        .description("Messages dropped: queue full, QoS 0 for an absent client or one that does not read, too large for the client")
        .register(registry);
    FunctionCounter.builder("center.mqtt.broker.publishers.paused", stats, BrokerStats::publishersPaused)
        .description("Times a publisher was not read because its publications not yet safe filled the inflight window")
        .register(registry);
    FunctionCounter.builder("center.mqtt.broker.publications.held", stats, BrokerStats::publicationsHeld)
        .description("QoS 1/2 publications queued beyond the limit for a connected client that lags, their acknowledgement held back")
        .register(registry);
  }
}
