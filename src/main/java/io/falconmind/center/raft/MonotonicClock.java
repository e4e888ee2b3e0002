package io.falconmind.center.raft;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that never jumps: wall time at construction plus elapsed {@link System#nanoTime()}.
 * Raft heartbeats and leases measure durations with it, so NTP steps cannot fake a timeout.
 */
final class MonotonicClock extends Clock {

  private final long baseMillis = System.currentTimeMillis();
  private final long baseNanos = System.nanoTime();

  @Override
  public long millis() {
    return baseMillis + (System.nanoTime() - baseNanos) / 1_000_000L;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
