package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The broker's counters of one node, for the {@code $SYS/broker/...} topics and the metrics.
 * Thread-safe.
 */
public final class BrokerStats {

  final long startedAt = System.currentTimeMillis();
  final AtomicLong connected = new AtomicLong();
  final LongAdder received = new LongAdder();
  final LongAdder sent = new LongAdder();
  final LongAdder bytesReceived = new LongAdder();
  final LongAdder bytesSent = new LongAdder();
  final LongAdder dropped = new LongAdder();
  final LongAdder expired = new LongAdder();
  final LongAdder refusedConnections = new LongAdder();
  final LongAdder publishersPaused = new LongAdder();
  final LongAdder heldBack = new LongAdder();

  public void dropped() {
    dropped.increment();
  }

  void expired() {
    expired.increment();
  }

  public void received(int bytes) {
    received.increment();
    bytesReceived.add(bytes);
  }

  public void sent(int bytes) {
    sent.increment();
    bytesSent.add(bytes);
  }

  public void connected(int delta) {
    connected.addAndGet(delta);
  }

  public void refused() {
    refusedConnections.increment();
  }

  /** A publisher's input was paused: its publications not yet made safe filled the inflight window. */
  public void publisherPaused() {
    publishersPaused.increment();
  }

  public long publishersPaused() {
    return publishersPaused.sum();
  }

  /** A QoS 1/2 message was queued beyond the limit for a client that lags; its publisher waits. */
  void heldBack() {
    heldBack.increment();
  }

  public long publicationsHeld() {
    return heldBack.sum();
  }

  public long connectedClients() {
    return connected.get();
  }

  public long messagesReceived() {
    return received.sum();
  }

  public long messagesSent() {
    return sent.sum();
  }

  public long messagesDropped() {
    return dropped.sum();
  }

  /** The retained {@code $SYS/broker/...} statistics topics of this node as they stand now. */
  List<Publication> sysTopics(int sessions, int subscriptions, int retained) {
    long now = System.currentTimeMillis();
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("version", "FalconMind Cluster Center");
    values.put("uptime", (now - startedAt) / 1000 + " seconds");
    values.put("clients/connected", connected.get());
    values.put("clients/total", sessions);
    values.put("messages/received", received.sum());
    values.put("messages/sent", sent.sum());
    values.put("messages/dropped", dropped.sum());
    values.put("messages/expired", expired.sum());
    values.put("bytes/received", bytesReceived.sum());
    values.put("bytes/sent", bytesSent.sum());
    values.put("subscriptions/count", subscriptions);
    values.put("retained messages/count", retained);
    values.put("connections/refused", refusedConnections.sum());
    values.put("publishers/paused", publishersPaused.sum());
    values.put("publishers/held", heldBack.sum());
    List<Publication> topics = new ArrayList<>(values.size());
    values.forEach((name, value) -> topics.add(new Publication("$SYS/broker/" + name,
        Buffer.buffer(String.valueOf(value)), 0, true,
        MqttProperties.NO_PROPERTIES, 0, null)));
    return topics;
  }
}
