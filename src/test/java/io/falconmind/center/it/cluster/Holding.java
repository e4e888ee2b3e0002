package io.falconmind.center.it.cluster;

/**
 * A span of wall-clock time (ms, the same clock as the nodes': one machine) during which one device
 * worked on one attempt of a mission: from the assignment's arrival to the moment the device stopped
 * (sent its final status, was told to stop, was refused, or lost its link and gave up).
 *
 * @param endedAt null while the device still works on it
 */
public record Holding(String deviceId, String missionId, int attempt, long from, Long endedAt, String endedBy) {

  Holding end(long at, String why) {
    return new Holding(deviceId, missionId, attempt, from, at, why);
  }

  /** Whether two spans share an instant (spans touching at one end do not). */
  boolean overlaps(Holding other, long now) {
    long myEnd = endedAt == null ? now : endedAt;
    long otherEnd = other.endedAt == null ? now : other.endedAt;
    return from < otherEnd && other.from < myEnd;
  }
}
