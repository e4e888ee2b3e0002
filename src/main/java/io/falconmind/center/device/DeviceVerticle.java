package io.falconmind.center.device;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * The device part of a node: liveness of the devices whose MQTT sessions the node holds. Deploy
 * exactly ONE instance per node, before the {@code MqttVerticle} instances:
 * {@code new DeviceVerticle(nodeId, config.mqtt(), registry)}.
 *
 * <p>Serves {@link DeviceSignals#liveness(String)} (local only, JsonObject bodies):
 * <ul>
 *   <li>{@code {op: "opened", deviceId, sessionId}}: request; replies
 *   {@code {openAssignments: [missionId..], seq}} once {@code DeviceConnected} is committed and
 *   persisted, or fails with the status and {@code code: detail} of the refusal (404 device gone,
 *   409 superseded by a newer session);</li>
 *   <li>{@code {op: "closed", deviceId, sessionId, takenOver}}: one-way; starts the
 *   {@code mqtt.offlineGraceSec} grace period after which {@code DeviceDisconnected} is proposed
 *   unless the device opened a newer session on this node.</li>
 * </ul>
 * Registers the gauge {@code center.device.tracked} (devices with a session or pending offline).
 */
public final class DeviceVerticle extends VerticleBase {

  private final String nodeId;
  private final CenterConfig.Mqtt config;
  private final MeterRegistry registry;
  private DeviceLiveness liveness;

  public DeviceVerticle(String nodeId, CenterConfig.Mqtt config, MeterRegistry registry) {
    this.nodeId = nodeId;
    this.config = config;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    ControlClient control = new ControlClient(vertx);
    liveness = new DeviceLiveness(vertx, nodeId, config.offlineGraceSec() * 1000L, control::propose,
        System::currentTimeMillis);
    Gauge.builder("center.device.tracked", liveness, DeviceLiveness::tracked)
        .description("Devices with an MQTT session or a pending offline transition on this node")
        .register(registry);
    MessageConsumer<JsonObject> consumer = vertx.eventBus().localConsumer(DeviceSignals.liveness(nodeId), this::handle);
    return consumer.completion();
  }

  private void handle(Message<JsonObject> message) {
    JsonObject body = message.body();
    String deviceId = body.getString("deviceId");
    String sessionId = body.getString("sessionId");
    if (deviceId == null || sessionId == null) {
      message.fail(400, "deviceId and sessionId are required");
      return;
    }
    switch (body.getString("op", "")) {
      case "opened" -> liveness.opened(deviceId, sessionId)
          .onSuccess(message::reply)
          .onFailure(t -> {
            if (t instanceof ControlException ce) message.fail(ce.status(), ce.code() + ": " + ce.getMessage());
            else message.fail(500, String.valueOf(t.getMessage()));
          });
      case "closed" -> liveness.closed(deviceId, sessionId, body.getBoolean("takenOver", false));
      default -> message.fail(400, "unknown op " + body.getString("op"));
    }
  }
}
