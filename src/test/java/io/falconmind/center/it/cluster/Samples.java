package io.falconmind.center.it.cluster;

import java.util.Arrays;

/** A growable array of samples with exact percentiles (all samples sorted). Thread-safe. */
final class Samples {
  private long[] values = new long[256];
  private int size;

  synchronized void add(long v) {
    if (size == values.length) values = Arrays.copyOf(values, size * 2);
    values[size++] = v;
  }

  synchronized int size() {
    return size;
  }

  /** The value below which {@code p} percent of the samples lie; -1 without samples. */
  synchronized long percentile(double p) {
    if (size == 0) return -1;
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  synchronized long max() {
    return size == 0 ? -1 : Arrays.stream(values, 0, size).max().getAsLong();
  }
}
