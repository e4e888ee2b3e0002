package io.falconmind.center.mqtt;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.broker.Broker;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.device.ProposalRetry;
import io.falconmind.center.device.StatusBatcher;
import io.vertx.core.Vertx;

import java.util.function.LongSupplier;

/** What every session of one MQTT server instance shares: collaborators of that instance. */
record SessionContext(Vertx vertx, String nodeId, CenterConfig.Mqtt config, ControlClient control,
                      StatusBatcher statuses, ProposalRetry retry, MqttMetrics metrics,
                      SessionRegistry registry, Broker broker, LongSupplier clock) {

  /** Messages the server keeps in flight to one client at most, whatever its receive maximum. */
  static final int MAX_IN_FLIGHT = 64;
  /** QoS 1 messages queued behind the window before the oldest is dropped. */
  static final int MAX_QUEUED = 1000;
  /** MQTT 3.1.1 only: unacknowledged QoS 1 messages are sent again after this long. */
  static final long RESEND_AFTER_MS = 20_000;
}
