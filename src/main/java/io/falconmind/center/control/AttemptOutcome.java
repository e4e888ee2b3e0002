package io.falconmind.center.control;

/** How one attempt of a mission on one device ended. */
public enum AttemptOutcome {
  SUCCEEDED, FAILED, REJECTED, TIMED_OUT, DEVICE_LOST, CANCELED
}
