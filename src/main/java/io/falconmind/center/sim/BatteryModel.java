package io.falconmind.center.sim;

/**
 * The battery of one simulated device, in percent. Work drains it; an idle device that falls below
 * {@link #CHARGE_BELOW} starts charging and charges (only while idle) until full. Pure and not
 * thread-safe: owned by its device's context.
 */
public final class BatteryModel {
  /** Level below which an idle device goes charging. */
  public static final double CHARGE_BELOW = 20.0;
  /** Level at or below which a device refuses new work. */
  public static final double TOO_LOW = 5.0;

  private final double drainPerMission;
  private final double rechargePerSec;
  private double level;
  private boolean charging;

  public BatteryModel(double initialLevel, double drainPerMission, double rechargePerSec) {
    this.level = clamp(initialLevel);
    this.drainPerMission = drainPerMission;
    this.rechargePerSec = rechargePerSec;
  }

  public double level() {
    return level;
  }

  public boolean charging() {
    return charging;
  }

  /** Whether the device can take on a mission now. */
  public boolean canWork() {
    return level > TOO_LOW;
  }

  /** A mission ran (to any end): its energy is spent, and charging stops while it ran. */
  public void missionDone() {
    level = clamp(level - drainPerMission);
  }

  /**
   * Time passed. An idle device that is charging gains charge; one below {@link #CHARGE_BELOW}
   * starts charging. A busy device does not charge.
   */
  public void elapse(long millis, boolean busy) {
    if (busy) return;
    if (!charging && level < CHARGE_BELOW) charging = true;
    if (charging) {
      level = clamp(level + rechargePerSec * millis / 1000.0);
      if (level >= 100.0) charging = false;
    }
  }

  private static double clamp(double v) {
    return Math.max(0.0, Math.min(100.0, v));
  }
}
