package io.falconmind.center.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * When a simulated mission reports what: RUNNING progress reports, then the end. The run time is
 * drawn uniformly from half to one and a half times the mean, so the mean holds and devices drift
 * apart.
 *
 * @param progress   RUNNING reports in time order
 * @param endAfterMs delay from acceptance to the final status
 */
public record RunPlan(List<Step> progress, long endAfterMs) {

  /** One RUNNING report: {@code atMs} after acceptance, with {@code percent} done. */
  public record Step(long atMs, int percent) {
  }

  public RunPlan {
    progress = List.copyOf(progress);
  }

  /**
   * A mean run time of 0 ends at once with no RUNNING report (benchmark mode); otherwise RUNNING at
   * 0 % right away, then {@code steps} evenly spaced reports, then the end.
   */
  public static RunPlan of(long meanDurationMs, int steps, Random random) {
    if (meanDurationMs <= 0) return new RunPlan(List.of(), 0);
    long duration = Math.max(1, Math.round(meanDurationMs * (0.5 + random.nextDouble())));
    List<Step> reports = new ArrayList<>(steps + 1);
    reports.add(new Step(0, 0));
    for (int i = 1; i <= steps; i++) {
      reports.add(new Step(duration * i / (steps + 1), 100 * i / (steps + 1)));
    }
    return new RunPlan(reports, duration);
  }
}
