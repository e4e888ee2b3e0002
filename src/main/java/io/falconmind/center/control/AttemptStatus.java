package io.falconmind.center.control;

/** What a device reports about an attempt on {@code devices/{id}/missions/{missionId}/status}. */
public enum AttemptStatus {
  ACCEPTED, REJECTED, RUNNING, SUCCEEDED, FAILED
}
