package io.falconmind.center.it;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A device speaking protocol v1 over a real MQTT 5 connection (HiveMQ client): receives what the
 * center sends on its own topics, publishes profile, telemetry and status.
 */
public final class TestDevice implements AutoCloseable {

  /** A message the center sent to the device. */
  public record Received(String topic, JsonObject json) {
  }

  private final String id;
  private final Mqtt5BlockingClient client;
  private final Mqtt5BlockingClient.Mqtt5Publishes inbox;

  private TestDevice(String id, Mqtt5BlockingClient client) {
    this.id = id;
    this.client = client;
    this.inbox = client.publishes(MqttGlobalPublishFilter.ALL);
  }

  public static TestDevice connect(int port, String id, String token) {
    Mqtt5BlockingClient client = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1")
        .serverPort(port).buildBlocking();
    TestDevice device = new TestDevice(id, client);
    client.connectWith().keepAlive(30).simpleAuth().username(id)
        .password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send();
    client.subscribeWith().topicFilter("devices/" + id + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
    return device;
  }

  public String id() {
    return id;
  }

  public Mqtt5BlockingClient client() {
    return client;
  }

  public void profile(JsonObject profile) {
    publish("devices/" + id + "/profile", profile, MqttQos.AT_LEAST_ONCE);
  }

  public void telemetry(JsonObject telemetry) {
    publish("devices/" + id + "/telemetry", telemetry, MqttQos.AT_MOST_ONCE);
  }

  public void status(String missionId, int attempt, String status) {
    status(missionId, new JsonObject().put("attempt", attempt).put("status", status));
  }

  public void status(String missionId, JsonObject body) {
    publish("devices/" + id + "/missions/" + missionId + "/status", body, MqttQos.AT_LEAST_ONCE);
  }

  public void publish(String topic, Object payload, MqttQos qos) {
    client.publishWith().topic(topic).qos(qos)
        .payload(String.valueOf(payload).getBytes(StandardCharsets.UTF_8)).send();
  }

  /** The next message on a topic ending with {@code suffix}; others are skipped. */
  public Received await(String suffix, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new AssertionError(id + ": no message on ..." + suffix + " within " + timeout);
      try {
        Optional<Mqtt5Publish> p = inbox.receive(left, TimeUnit.NANOSECONDS);
        if (p.isEmpty()) continue;
        String topic = p.get().getTopic().toString();
        if (topic.endsWith(suffix)) {
          String text = new String(p.get().getPayloadAsBytes(), StandardCharsets.UTF_8);
          return new Received(topic, new JsonObject(text));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** The next assignment sent to this device. */
  public JsonObject awaitAssignment(Duration timeout) {
    return await("/missions/assign", timeout).json();
  }

  /** Nothing arrives on a topic ending with {@code suffix} for the whole window. */
  public void expectNothing(String suffix, Duration window) {
    long deadline = System.nanoTime() + window.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) return;
      try {
        Optional<Mqtt5Publish> p = inbox.receive(left, TimeUnit.NANOSECONDS);
        if (p.isPresent() && p.get().getTopic().toString().endsWith(suffix)) {
          throw new AssertionError(id + ": unexpected message on " + p.get().getTopic() + ": "
              + new String(p.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  public void runToSuccess(JsonObject assignment) {
    String missionId = assignment.getString("missionId");
    int attempt = assignment.getInteger("attempt");
    status(missionId, attempt, "ACCEPTED");
    status(missionId, new JsonObject().put("attempt", attempt).put("status", "RUNNING").put("progress", 10));
    status(missionId, new JsonObject().put("attempt", attempt).put("status", "SUCCEEDED")
        .put("result", new JsonObject().put("photos", 3)));
  }

  /** Drops the connection without DISCONNECT, as a device that loses its network would. */
  public void vanish() {
    client.toAsync().disconnectWith().reasonCode(
        com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
  }

  @Override
  public void close() {
    if (client.getState().isConnected()) client.disconnect();
  }
}
