package io.falconmind.center.mqtt;

import io.vertx.core.net.NetSocket;
import io.vertx.mqtt.MqttEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;

/**
 * Stops and restarts reading a client's connection, so that a client sending faster than its
 * publications are made safe is held back by TCP flow control rather than by the node's memory.
 * An MQTT 3.1.1 client has no Receive Maximum to keep it within the inflight window; this is how
 * it is kept there.
 *
 * <p>vertx-mqtt 5.0 does not expose an endpoint's socket, so it is read from the endpoint's
 * private {@code conn} field. When that field cannot be read (another vertx-mqtt version), a
 * warning is logged once and input is never paused: MQTT 5 clients are still held to the Receive
 * Maximum, 3.1.1 clients are then bounded only by the publish-rate limit.
 */
final class EndpointInput {

  private static final Logger LOG = LoggerFactory.getLogger(EndpointInput.class);
  private static final Field CONN = connField();

  private final NetSocket socket;
  private boolean paused;

  private EndpointInput(NetSocket socket) {
    this.socket = socket;
  }

  /** The input of {@code endpoint}'s connection; one that can never pause when the socket is out of reach. */
  static EndpointInput of(MqttEndpoint endpoint) {
    if (CONN == null) return new EndpointInput(null);
    try {
      return new EndpointInput(CONN.get(endpoint) instanceof NetSocket s ? s : null);
    } catch (IllegalAccessException | IllegalArgumentException e) {
      return new EndpointInput(null);
    }
  }

  /** Stops reading; true when it was reading until now. Call on the endpoint's context. */
  boolean pause() {
    if (paused || socket == null) return false;
    paused = true;
    socket.pause();
    return true;
  }

  /** Reads again after {@link #pause()}. Call on the endpoint's context. */
  void resume() {
    if (!paused) return;
    paused = false;
    socket.resume();
  }

  boolean paused() {
    return paused;
  }

  private static Field connField() {
    try {
      Field f = Class.forName("io.vertx.mqtt.impl.MqttEndpointImpl").getDeclaredField("conn");
      if (!NetSocket.class.isAssignableFrom(f.getType())) throw new NoSuchFieldException("conn is a " + f.getType());
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("MQTT 3.1.1 publishers cannot be held back by flow control with this vertx-mqtt ({}); "
          + "they are bounded by the publish-rate limit only", e.toString());
      return null;
    }
  }
}
