package io.falconmind.center.broker;

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
}
