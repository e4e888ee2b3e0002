package io.falconmind.center.device;

/**
 * A topic of device protocol v1, parsed relative to the device that uses it. Pure; builds the
 * center-to-device topics too.
 *
 * <pre>
 * devices/{id}/profile                       PROFILE    device -> center
 * devices/{id}/telemetry                     TELEMETRY  device -> center
 * devices/{id}/missions/{missionId}/status   STATUS     device -> center
 * devices/{id}/missions/assign               ASSIGN     center -> device
 * devices/{id}/missions/{missionId}/cancel   CANCEL     center -> device
 * devices/{id}/errors                        ERRORS     center -> device
 * devices/{id}/anything-else                 UNKNOWN
 * </pre>
 *
 * @param missionId set for STATUS and CANCEL
 */
public record DeviceTopic(Kind kind, String deviceId, String missionId) {

  /** What a topic under {@code devices/{id}/} is. */
  public enum Kind {
    PROFILE, TELEMETRY, STATUS, ASSIGN, CANCEL, ERRORS, UNKNOWN;

    /** Whether a device may publish on topics of this kind. */
    public boolean fromDevice() {
      return this == PROFILE || this == TELEMETRY || this == STATUS;
    }
  }

  public static final String ROOT = "devices";
  /** Longest mission id accepted in a topic. */
  public static final int MAX_MISSION_ID = 128;

  /** The prefix every topic of the device starts with: {@code devices/{id}/}. */
  public static String prefix(String deviceId) {
    return ROOT + "/" + deviceId + "/";
  }

  /** Whether the topic is under {@code devices/{deviceId}/}. */
  public static boolean isOwnedBy(String topic, String deviceId) {
    String prefix = prefix(deviceId);
    return topic.length() > prefix.length() && topic.startsWith(prefix);
  }

  /**
   * Parses a topic under {@code devices/{deviceId}/}; null when it is not under that prefix (the
   * caller refuses it as not authorized).
   */
  public static DeviceTopic parse(String topic, String deviceId) {
    if (topic == null || !isOwnedBy(topic, deviceId)) return null;
    String[] rest = topic.substring(prefix(deviceId).length()).split("/", -1);
    if (rest.length == 1) {
      switch (rest[0]) {
        case "profile": return new DeviceTopic(Kind.PROFILE, deviceId, null);
        case "telemetry": return new DeviceTopic(Kind.TELEMETRY, deviceId, null);
        case "errors": return new DeviceTopic(Kind.ERRORS, deviceId, null);
        default: return unknown(deviceId);
      }
    }
    if (!rest[0].equals("missions")) return unknown(deviceId);
    if (rest.length == 2 && rest[1].equals("assign")) return new DeviceTopic(Kind.ASSIGN, deviceId, null);
    if (rest.length == 3 && validMissionId(rest[1])) {
      if (rest[2].equals("status")) return new DeviceTopic(Kind.STATUS, deviceId, rest[1]);
      if (rest[2].equals("cancel")) return new DeviceTopic(Kind.CANCEL, deviceId, rest[1]);
    }
    return unknown(deviceId);
  }

  public static String assign(String deviceId) {
    return prefix(deviceId) + "missions/assign";
  }

  public static String cancel(String deviceId, String missionId) {
    return prefix(deviceId) + "missions/" + missionId + "/cancel";
  }

  public static String errors(String deviceId) {
    return prefix(deviceId) + "errors";
  }

  private static boolean validMissionId(String id) {
    return !id.isEmpty() && id.length() <= MAX_MISSION_ID;
  }

  private static DeviceTopic unknown(String deviceId) {
    return new DeviceTopic(Kind.UNKNOWN, deviceId, null);
  }
}
