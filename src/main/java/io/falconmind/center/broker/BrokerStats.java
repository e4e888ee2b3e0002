package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The broker's counters of one node, for the {@code $SYS/broker/...} topics and the metrics.
 * The counters are thread-safe; {@link #sysTopics} is called by the one timer that publishes them.
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
  final LongAdder connects = new LongAdder();
  final AtomicLong maximumConnected = new AtomicLong();
  final LongAdder sessionsExpired = new LongAdder();
  private long heapPeak;
  private final LoadAverage receivedLoad = new LoadAverage(startedAt);
  private final LoadAverage sentLoad = new LoadAverage(startedAt);
  private final LoadAverage bytesReceivedLoad = new LoadAverage(startedAt);
  private final LoadAverage bytesSentLoad = new LoadAverage(startedAt);
  private final LoadAverage connectsLoad = new LoadAverage(startedAt);
  private final LoadAverage droppedLoad = new LoadAverage(startedAt);

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

  /** A client connected (+1) or its connection ended (-1). */
  public void connected(int delta) {
    long now = connected.addAndGet(delta);
    if (delta > 0) {
      connects.increment();
      maximumConnected.accumulateAndGet(now, Math::max);
    }
  }

  /** A session ended because its expiry passed while its client was away. */
  void sessionExpired() {
    sessionsExpired.increment();
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

  /**
   * The retained {@code $SYS/broker/...} statistics topics of this node at {@code now} (epoch ms),
   * with the names MQTT brokers commonly use. Moves the {@code load/...} averages on: call from
   * the one timer that publishes them, once per interval.
   */
  List<Publication> sysTopics(Collection<BrokerSession> sessions, int subscriptions, int retained, long now) {
    long queued = 0;
    long inFlight = 0;
    for (BrokerSession s : sessions) {
      queued += s.queued();
      inFlight += s.inFlightCount();
    }
    Runtime jvm = Runtime.getRuntime();
    long heap = jvm.totalMemory() - jvm.freeMemory();
    heapPeak = Math.max(heapPeak, heap);
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("version", "FalconMind Cluster Center");
    values.put("uptime", (now - startedAt) / 1000 + " seconds");
    long online = connected.get();
    values.put("clients/connected", online);
    values.put("clients/disconnected", Math.max(0, sessions.size() - online));
    values.put("clients/total", sessions.size());
    values.put("clients/maximum", maximumConnected.get());
    values.put("clients/expired", sessionsExpired.sum());
    values.put("messages/received", received.sum());
    values.put("messages/sent", sent.sum());
    values.put("messages/dropped", dropped.sum());
    values.put("messages/expired", expired.sum());
    values.put("messages/inflight", inFlight);
    values.put("messages/stored", queued + inFlight + retained);
    values.put("bytes/received", bytesReceived.sum());
    values.put("bytes/sent", bytesSent.sum());
    values.put("subscriptions/count", subscriptions);
    values.put("retained messages/count", retained);
    values.put("heap/current", heap);
    values.put("heap/maximum", heapPeak);
    values.put("connections/refused", refusedConnections.sum());
    values.put("publishers/paused", publishersPaused.sum());
    values.put("publishers/held", heldBack.sum());
    load(values, "messages/received", receivedLoad, received.sum(), now);
    load(values, "messages/sent", sentLoad, sent.sum(), now);
    load(values, "bytes/received", bytesReceivedLoad, bytesReceived.sum(), now);
    load(values, "bytes/sent", bytesSentLoad, bytesSent.sum(), now);
    load(values, "connections", connectsLoad, connects.sum(), now);
    load(values, "publish/dropped", droppedLoad, dropped.sum(), now);
    List<Publication> topics = new ArrayList<>(values.size());
    values.forEach((name, value) -> topics.add(new Publication("$SYS/broker/" + name,
        Buffer.buffer(String.valueOf(value)), 0, true,
        MqttProperties.NO_PROPERTIES, 0, null)));
    return topics;
  }

  private static void load(Map<String, Object> values, String name, LoadAverage load, long total, long now) {
    load.update(total, now);
    values.put("load/" + name + "/1min", perMinute(load.oneMinute()));
    values.put("load/" + name + "/5min", perMinute(load.fiveMinutes()));
    values.put("load/" + name + "/15min", perMinute(load.fifteenMinutes()));
  }

  private static String perMinute(double value) {
    return String.format(java.util.Locale.ROOT, "%.2f", value);
  }
}
