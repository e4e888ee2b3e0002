package io.falconmind.center.broker;

/**
 * How often something happens per minute, as moving averages over 1, 5 and 15 minutes, the way
 * the {@code $SYS/broker/load/...} topics of MQTT brokers give them: fed a running total once per
 * statistics interval, each average moves towards the rate of the interval just gone by
 * {@code 1 - e^(-interval / window)}. Not thread-safe: updated by the one timer that publishes the
 * statistics.
 */
final class LoadAverage {

  private static final double[] WINDOWS_SEC = {60, 300, 900};

  private final double[] perMinute = new double[WINDOWS_SEC.length];
  private long lastTotal;
  private long lastMillis;

  /** Starts counting at {@code startMillis}, the total being 0 then. */
  LoadAverage(long startMillis) {
    this.lastMillis = startMillis;
  }

  /** Takes the running total as it is at {@code nowMillis}. */
  void update(long total, long nowMillis) {
    double seconds = (nowMillis - lastMillis) / 1000.0;
    if (seconds <= 0) return;
    double rate = (total - lastTotal) * 60.0 / seconds;
    for (int i = 0; i < WINDOWS_SEC.length; i++) {
      double keep = Math.exp(-seconds / WINDOWS_SEC[i]);
      perMinute[i] = perMinute[i] * keep + rate * (1 - keep);
    }
    lastTotal = total;
    lastMillis = nowMillis;
  }

  double oneMinute() {
    return perMinute[0];
  }

  double fiveMinutes() {
    return perMinute[1];
  }

  double fifteenMinutes() {
    return perMinute[2];
  }
}
