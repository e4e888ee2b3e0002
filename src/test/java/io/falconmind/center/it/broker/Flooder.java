package io.falconmind.center.it.broker;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** An MQTT 5 client that publishes as fast as it can until the server disconnects it. */
final class Flooder {

  private Flooder() {
  }

  /**
   * Publishes to {@code topic} on the broker at {@code port} until it is cut off (at most 1,000
   * messages), and returns the DISCONNECT reason code it got. One PUBLISH follows the other, each
   * waiting for its PUBACK: past the limit the server has nothing unread from this client when it
   * sends DISCONNECT and closes, so no TCP reset can overtake the reason code.
   */
  static Mqtt5DisconnectReasonCode floodUntilCutOff(int port, String clientId, String topic) throws Exception {
    CompletableFuture<Mqtt5DisconnectReasonCode> reason = new CompletableFuture<>();
    var flooder = Mqtt5Client.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(port)
        .addDisconnectedListener(ctx -> {
          if (ctx.getCause() instanceof Mqtt5DisconnectException d) reason.complete(d.getMqttMessage().getReasonCode());
        }).buildAsync();
    flooder.connect().get(10, TimeUnit.SECONDS);
    for (int i = 0; i < 1_000 && !reason.isDone(); i++) {
      try {
        flooder.publishWith().topic(topic).payload(new byte[8]).qos(MqttQos.AT_LEAST_ONCE).send().get(5, TimeUnit.SECONDS);
      } catch (ExecutionException cutOff) {
        break;
      }
    }
    return reason.get(10, TimeUnit.SECONDS);
  }

  /**
   * Publishes {@code count} QoS 0 messages to {@code topic} as fast as it can, never waiting, and
   * returns what ended its connection: the DISCONNECT reason code, or the exception the client saw
   * instead (a TCP reset while it was still sending, for one).
   */
  static Object floodBlindlyUntilCutOff(int port, String clientId, String topic, int count) throws Exception {
    CompletableFuture<Object> ended = new CompletableFuture<>();
    var flooder = Mqtt5Client.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(port)
        .addDisconnectedListener(ctx -> ended.complete(ctx.getCause() instanceof Mqtt5DisconnectException d
            ? d.getMqttMessage().getReasonCode() : ctx.getCause()))
        .buildAsync();
    flooder.connect().get(10, TimeUnit.SECONDS);
    byte[] payload = new byte[64];
    for (int i = 0; i < count && !ended.isDone(); i++) {
      flooder.publishWith().topic(topic).payload(payload).qos(MqttQos.AT_MOST_ONCE).send();
    }
    return ended.get(10, TimeUnit.SECONDS);
  }
}
