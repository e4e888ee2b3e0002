package io.falconmind.center.control;

/** Lifecycle of a mission: QUEUED -> ASSIGNED -> RUNNING -> one of the terminal states. */
public enum MissionState {
  QUEUED, ASSIGNED, RUNNING, SUCCEEDED, FAILED, CANCELED, EXPIRED;

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELED || this == EXPIRED;
  }

  /** Held by a device: the attempt is open. */
  public boolean active() {
    return this == ASSIGNED || this == RUNNING;
  }
}
