package io.falconmind.center.control;

/**
 * Rules of the state machine that come from configuration; identical on every node.
 *
 * @param backoffBaseMs delay before the first retry; doubles with each further attempt
 * @param backoffMaxMs  upper bound of the retry delay
 */
public record ControlPolicy(long backoffBaseMs, long backoffMaxMs) {

  public static final ControlPolicy DEFAULT = new ControlPolicy(1_000, 60_000);

  /**
   * Exponential backoff with jitter in [delay/2, delay]. The jitter is derived from the mission id
   * and attempt so that every node computes the same value.
   */
  public long backoff(String missionId, int attempt) {
    long delay = backoffBaseMs << Math.min(Math.max(attempt - 1, 0), 20);
    delay = Math.min(Math.max(delay, 0), backoffMaxMs);
    long h = (missionId.hashCode() * 0x9E3779B97F4A7C15L) ^ (attempt * 0xC2B2AE3D27D4EB4FL);
    h ^= h >>> 29;
    double unit = (h & 0xFFFFFFL) / (double) 0x1000000L;
    return delay / 2 + (long) (unit * (delay - delay / 2));
  }
}
