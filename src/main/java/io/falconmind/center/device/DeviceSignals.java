package io.falconmind.center.device;

/**
 * Node-local event-bus addresses of the device part. Soft state only: nothing published here goes
 * through Raft, and a consumer that misses a message loses nothing that matters (the next message
 * supersedes it). Messages are published with {@code localOnly}; bodies are {@code JsonObject}s.
 */
public final class DeviceSignals {

  /**
   * Telemetry of a device, published by the MQTT server instance holding its session:
   * {@code {deviceId, at (epoch ms), battery?, lat?, lon?, alt?, cpu?, mem?, ...extra fields}}.
   * Ranges are checked (battery, cpu, mem 0-100; lat -90..90; lon -180..180). Consumed by the
   * scheduler (battery, position) and the live feed.
   */
  public static final String TELEMETRY = "center.device.telemetry";

  /**
   * Progress of a running attempt after its first RUNNING report went through Raft:
   * {@code {missionId, deviceId, attempt, progress (0-100), at (epoch ms)}}. Not checked against
   * the control state; a consumer ignores attempts it does not know as open.
   */
  public static final String PROGRESS = "center.device.progress";

  private DeviceSignals() {
  }

  /**
   * Requests from the MQTT sessions of a node to its {@code DeviceVerticle} about session
   * lifecycle; see {@link DeviceVerticle}.
   */
  public static String liveness(String nodeId) {
    return "center.device.liveness." + nodeId;
  }
}
