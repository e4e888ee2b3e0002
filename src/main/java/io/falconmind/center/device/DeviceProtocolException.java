package io.falconmind.center.device;

/**
 * A message of a device was refused: it changes nothing and the device is told why on
 * {@code devices/{id}/errors} as {@code {topic, error: {code, message}}}. The transport maps the
 * {@link #code()} to its own reason codes in one place.
 */
public final class DeviceProtocolException extends RuntimeException {

  /** Not JSON, or not a JSON object. */
  public static final String MALFORMED_JSON = "malformed-json";
  /** A required field is absent. */
  public static final String MISSING_FIELD = "missing-field";
  /** A field has the wrong type or is out of range. */
  public static final String INVALID_FIELD = "invalid-field";
  /** Payload larger than {@code mqtt.maxMessageBytes}. */
  public static final String PAYLOAD_TOO_LARGE = "payload-too-large";
  /** A topic under the device's own prefix that the device may not publish on. */
  public static final String UNKNOWN_TOPIC = "unknown-topic";
  /** A topic or filter outside the device's own prefix. */
  public static final String NOT_AUTHORIZED = "not-authorized";
  /** The control plane is unavailable; the message was not acknowledged and should be resent. */
  public static final String UNAVAILABLE = "unavailable";

  private final String code;

  public DeviceProtocolException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
