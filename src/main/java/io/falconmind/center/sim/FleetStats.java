package io.falconmind.center.sim;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Counters of a simulated fleet. Thread-safe: devices on every event loop update them. */
public final class FleetStats {
  final AtomicInteger registered = new AtomicInteger();
  final AtomicInteger connected = new AtomicInteger();
  final AtomicInteger running = new AtomicInteger();
  final LongAdder assigned = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  final LongAdder rejected = new LongAdder();
  final LongAdder succeeded = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder canceled = new LongAdder();
  final LongAdder reconnects = new LongAdder();
  final LongAdder publishErrors = new LongAdder();
  final LongAdder centerErrors = new LongAdder();
  final LongAdder submitted = new LongAdder();
  final LongAdder submitErrors = new LongAdder();
  private final ConcurrentHashMap<String, Long> lastNotice = new ConcurrentHashMap<>();

  /**
   * Whether a fleet-wide notice of this kind may be logged now: at most one per kind every
   * {@code everyMs}, so a thousand devices losing the center make one line, not a thousand.
   */
  boolean mayNotice(String kind, long nowMs, long everyMs) {
    boolean[] allowed = {false};
    lastNotice.compute(kind, (k, last) -> {
      if (last == null || nowMs - last >= everyMs) {
        allowed[0] = true;
        return nowMs;
      }
      return last;
    });
    return allowed[0];
  }

  public int registered() {
    return registered.get();
  }

  public int connected() {
    return connected.get();
  }

  public int running() {
    return running.get();
  }

  public long assigned() {
    return assigned.sum();
  }

  public long succeeded() {
    return succeeded.sum();
  }

  public long failed() {
    return failed.sum();
  }

  public long rejected() {
    return rejected.sum();
  }

  public long canceled() {
    return canceled.sum();
  }

  public long centerErrors() {
    return centerErrors.sum();
  }

  /** One status line: what an operator watching the simulator wants every few seconds. */
  public String line() {
    StringBuilder sb = new StringBuilder()
        .append("connected ").append(connected.get()).append('/').append(registered.get())
        .append(", running ").append(running.get())
        .append(", assigned ").append(assigned.sum())
        .append(", done ").append(succeeded.sum())
        .append(", failed ").append(failed.sum())
        .append(", rejected ").append(rejected.sum())
        .append(", canceled ").append(canceled.sum());
    long dup = duplicates.sum();
    if (dup > 0) sb.append(", duplicates ").append(dup);
    long rc = reconnects.sum();
    if (rc > 0) sb.append(", reconnects ").append(rc);
    long errs = centerErrors.sum();
    if (errs > 0) sb.append(", refused by center ").append(errs);
    long pubErr = publishErrors.sum();
    if (pubErr > 0) sb.append(", publish errors ").append(pubErr);
    long sub = submitted.sum();
    if (sub > 0 || submitErrors.sum() > 0) {
      sb.append(", submitted ").append(sub);
      if (submitErrors.sum() > 0) sb.append(" (").append(submitErrors.sum()).append(" refused)");
    }
    return sb.toString();
  }
}
