package io.falconmind.center.control;

/**
 * A proposal or query could not be carried out. {@code status} follows HTTP (503: no leader or
 * overloaded — retry later; 504: no answer in time); {@code code} is stable and machine-readable.
 */
public final class ControlException extends RuntimeException {

  private final int status;
  private final String code;

  public ControlException(int status, String code, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public boolean retryable() {
    return status == 503 || status == 504;
  }
}
