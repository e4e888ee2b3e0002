package io.falconmind.center.mqtt;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Meters of the MQTT server, shared by all instances of a node: gauge
 * {@code center_mqtt_connections} (accepted connections now open), counters
 * {@code center_mqtt_messages_in_total{kind}}, {@code center_mqtt_messages_out_total{kind}} and
 * {@code center_mqtt_refusals_total{reason}}. Thread-safe.
 */
final class MqttMetrics {

  private static final class Count extends AtomicInteger implements Shareable {
  }

  private final MeterRegistry registry;
  private final AtomicInteger connections;

  MqttMetrics(MeterRegistry registry, Vertx vertx) {
    this.registry = registry;
    Count fresh = new Count();
    Count shared = (Count) vertx.sharedData().<String, Count>getLocalMap("center.mqtt.metrics")
        .putIfAbsent("connections", fresh);
    this.connections = shared == null ? fresh : shared;
    if (shared == null) { // the first instance of the node registers the gauge for all
      Gauge.builder("center.mqtt.connections", connections, AtomicInteger::get)
          .description("Open MQTT connections of this node").register(registry);
    }
  }

  void connected() {
    connections.incrementAndGet();
  }

  void disconnected() {
    connections.decrementAndGet();
  }

  void in(String kind) {
    registry.counter("center.mqtt.messages.in", "kind", kind).increment();
  }

  void out(String kind) {
    registry.counter("center.mqtt.messages.out", "kind", kind).increment();
  }

  void refused(String reason) {
    registry.counter("center.mqtt.refusals", "reason", reason).increment();
  }
}
