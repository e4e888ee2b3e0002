package io.falconmind.center.broker;

import java.util.concurrent.atomic.AtomicInteger;

/** The MQTT connections one node admits, devices and other clients alike, up to a maximum. Thread-safe. */
public final class ConnectionSlots {

  private final int max;
  private final AtomicInteger used = new AtomicInteger();

  ConnectionSlots(int max) {
    this.max = max;
  }

  /** Counts a new connection; false (and not counted) when the node is at its maximum. */
  public boolean admit() {
    while (true) {
      int n = used.get();
      if (n >= max) return false;
      if (used.compareAndSet(n, n + 1)) return true;
    }
  }

  /** Uncounts a connection {@link #admit()} counted. */
  public void left() {
    used.decrementAndGet();
  }

  public int count() {
    return used.get();
  }
}
