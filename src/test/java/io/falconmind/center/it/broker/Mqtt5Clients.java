package io.falconmind.center.it.broker;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What the broker tests do with HiveMQ MQTT 5 clients again and again. */
final class Mqtt5Clients {

  private Mqtt5Clients() {
  }

  static String text(Mqtt5Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  /** The next message within {@code millis}, if any. */
  static Optional<Mqtt5Publish> next(Mqtt5BlockingClient.Mqtt5Publishes publishes, long millis) {
    try {
      return publishes.receive(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Disconnects those still connected (the server may have closed some) and forgets them all. */
  static void disconnectAll(List<Mqtt5BlockingClient> clients) {
    for (Mqtt5BlockingClient c : clients) {
      try {
        if (c.getState().isConnected()) c.disconnect();
      } catch (RuntimeException ignored) {
        // already closed by the server
      }
    }
    clients.clear();
  }
}
