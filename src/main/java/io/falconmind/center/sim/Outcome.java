package io.falconmind.center.sim;

import java.util.Random;

/** How a simulated device answers one assignment, decided when it arrives. */
public enum Outcome {
  /** REJECTED at once; the center retries elsewhere. */
  REJECT,
  /** REJECTED because the battery is too low to start. */
  REJECT_BATTERY,
  /** Runs and SUCCEEDS. */
  SUCCEED,
  /** Runs and FAILS with {@code retryable=true}. */
  FAIL_RETRYABLE,
  /** Runs and FAILS with {@code retryable=false}. */
  FAIL_PERMANENT;

  /**
   * Picks the outcome: a share {@code rejectRate} is rejected; of the rest a share {@code failRate}
   * fails, half of those retryably. A device whose battery cannot work rejects everything.
   */
  public static Outcome choose(Random random, double rejectRate, double failRate, boolean batteryOk) {
    if (!batteryOk) return REJECT_BATTERY;
    if (random.nextDouble() < rejectRate) return REJECT;
    if (random.nextDouble() < failRate) return random.nextBoolean() ? FAIL_RETRYABLE : FAIL_PERMANENT;
    return SUCCEED;
  }
}
