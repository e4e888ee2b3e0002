package io.falconmind.center.broker;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The numbered publications (origin node, number there) a session took in lately. When the session
 * moves, they go with it: the node it moves to may hold copies of the same publications, which
 * reached it while its connection claimed the session, and the client had those already (at QoS 2
 * a second copy would break exactly once).
 *
 * <p>Kept in two generations of {@link #SPAN_MS} each, so that what was taken stays known for
 * between one and two spans; a generation that grows past {@link #MAX_PER_GENERATION} numbers
 * starts the next one early (a session taking in more than that in a span keeps less). Not
 * thread-safe: its session guards it.
 */
final class RecentlyTaken {

  static final long SPAN_MS = 5_000;
  static final int MAX_PER_GENERATION = 100_000;

  private Map<String, Numbers> current = new HashMap<>();
  private Map<String, Numbers> previous = Map.of();
  private long currentSince;
  private int currentSize;

  /** The publication numbered {@code seq} on {@code origin} was taken in at {@code now} (millis). */
  void add(String origin, long seq, long now) {
    if (now - currentSince >= SPAN_MS || currentSize >= MAX_PER_GENERATION) {
      previous = now - currentSince >= 2 * SPAN_MS ? Map.of() : current;
      current = new HashMap<>();
      currentSince = now;
      currentSize = 0;
    }
    current.computeIfAbsent(origin, o -> new Numbers()).add(seq);
    currentSize++;
  }

  /** Adds every number of {@code taken}, as taken at {@code now}. */
  void addAll(Map<String, long[]> taken, long now) {
    taken.forEach((origin, seqs) -> {
      for (long seq : seqs) add(origin, seq, now);
    });
  }

  /** What was taken within the last one to two spans before {@code now}, by origin node. */
  Map<String, long[]> recent(long now) {
    Map<String, long[]> out = new HashMap<>();
    if (now - currentSince >= 2 * SPAN_MS) return out;
    previous.forEach((origin, n) -> out.put(origin, n.toArray()));
    current.forEach((origin, n) -> out.merge(origin, n.toArray(), RecentlyTaken::concat));
    return out;
  }

  private static long[] concat(long[] a, long[] b) {
    long[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** A growable array of numbers. */
  private static final class Numbers {
    private long[] values = new long[8];
    private int size;

    void add(long v) {
      if (size == values.length) values = Arrays.copyOf(values, size * 2);
      values[size++] = v;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
