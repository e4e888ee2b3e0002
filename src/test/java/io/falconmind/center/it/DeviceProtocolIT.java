package io.falconmind.center.it;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Device protocol v1 against one real node (Raft, embedded PostgreSQL, MQTT and HTTP servers) with
 * real clients: MQTT 5 (HiveMQ), MQTT 3.1.1 (Paho), the mosquitto command-line clients, and a bare
 * socket client ({@link RawMqtt}) for what real clients refuse to do. What the node did is read
 * back through its REST API, event feed and {@code /metrics}. Tests share the node and keep apart by
 * device id; each device carries the label {@code it=<its id>} that its test's missions require.
 */
@Timeout(300)
class DeviceProtocolIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int MAX_MESSAGE_BYTES = 1024;
  private static final AtomicInteger IDS = new AtomicInteger();

  private static TestNode node;
  private static Vertx vertx;

  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();
  private final Map<Mqtt5BlockingClient, Mqtt5BlockingClient.Mqtt5Publishes> inboxes = new HashMap<>();
  private final Map<Mqtt5BlockingClient, List<Throwable>> disconnects = new HashMap<>();
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeAll
  static void startNode() {
    node = TestNode.start(Map.of("mqtt.maxMessageBytes", String.valueOf(MAX_MESSAGE_BYTES),
        "mqtt.maxPacketBytes", "4096", "mqtt.connectTimeoutSec", "5"));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (vertx != null) vertx.close().await(30, TimeUnit.SECONDS);
    if (node != null) node.close();
  }

  /** Closes what the test opened and waits for the node to count no connection, so the next test starts clean. */
  @AfterEach
  void closeClients() throws Exception {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) c.disconnect();
      inboxes.get(c).close();
    }
    for (AutoCloseable r : resources) r.close();
    Eventually.until(WAIT, "no open MQTT connection", () -> meter("center_mqtt_connections", null), n -> n == 0);
  }

  // ---- auth -----------------------------------------------------------------------------------

  @Test
  void refusesBadCredentialsOverMqtt5() {
    String id = newDevice("auth5");
    String token = register(id);
    assertThat(connackCode(id, id, "wrong")).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(connackCode(id + "-ghost", id + "-ghost", token)).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(connackCode(id, null, null)).as("no credentials at all").isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    assertThat(connackCode(id + "-other", id, token)).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    assertThat(node.api.device(id).getString("state")).isEqualTo("OFFLINE");
  }

  @Test
  void refusesBadCredentialsOverMqtt311AndAcceptsTheLongestDeviceId() throws Exception {
    String prefix = newDevice("auth3") + "-";
    String id = prefix + "x".repeat(64 - prefix.length());
    assertThat(id).hasSize(64);
    String token = register(id);
    assertThat(pahoConnectCode(id, id, "wrong")).isEqualTo(MqttException.REASON_CODE_FAILED_AUTHENTICATION);
    assertThat(pahoConnectCode(id + "y", id, token)).isEqualTo(MqttException.REASON_CODE_NOT_AUTHORIZED);
    assertThat(pahoConnectCode(id, null, null)).as("no credentials at all").isEqualTo(MqttException.REASON_CODE_NOT_AUTHORIZED);
    MqttClient ok = paho(id, id, token);
    assertThat(ok.isConnected()).isTrue();
    node.api.awaitDeviceState(id, "ONLINE", WAIT);
  }

  // ---- device -> center -------------------------------------------------------------------------

  @Test
  void profileUpdatesTheDeviceOnceAcknowledged() {
    String id = newDevice("profile");
    Mqtt5BlockingClient c = connect(id, register(id));
    Mqtt5PublishResult r = publish(c, "devices/" + id + "/profile",
        "{\"kind\":\"drone\",\"capabilities\":[\"camera\"],\"capacity\":2,\"labels\":{\"site\":\"n\"}}", MqttQos.AT_LEAST_ONCE);
    assertThat(r.getError()).isEmpty();
    // acknowledged means committed and persisted: the very next read sees it
    JsonObject d = node.api.device(id);
    assertThat(d.getString("kind")).isEqualTo("drone");
    assertThat(d.getJsonArray("capabilities")).containsExactly("camera");
    assertThat(d.getInteger("capacity")).isEqualTo(2);
    assertThat(d.getJsonObject("labels").getString("site")).isEqualTo("n");
    assertThat(d.getString("state")).isEqualTo("ONLINE");
    assertThat(d.getString("nodeId")).isEqualTo(node.node.nodeId());
  }

  @Test
  void telemetryIsSoftStateOnTheFeedAndChangesNoRecord() {
    String id = newDevice("telemetry");
    Mqtt5BlockingClient c = connect(id, register(id));
    JsonObject before = node.api.awaitDeviceState(id, "ONLINE", WAIT);
    FeedClient feed = feed("?types=device.telemetry&deviceId=" + id);
    // the feed session attaches just after the handshake; soft signals are not replayed, so send until one arrives
    JsonObject t = Eventually.until(WAIT, "telemetry of " + id, () -> {
      publish(c, "devices/" + id + "/telemetry", "{\"battery\":77,\"lat\":1.5,\"lon\":2.5,\"temp\":20}", MqttQos.AT_MOST_ONCE);
      return feed.frames();
    }, f -> !f.isEmpty()).get(0);
    assertThat(t.getString("type")).isEqualTo("device.telemetry");
    assertThat(t.getBoolean("soft")).isTrue();
    assertThat(t.containsKey("seq")).isFalse();
    assertThat(t.getString("deviceId")).isEqualTo(id);
    assertThat(t.getInteger("battery")).isEqualTo(77);
    assertThat(t.getInteger("temp")).isEqualTo(20);
    assertThat(Instant.parse(t.getString("at"))).isAfter(Instant.now().minusSeconds(60));
    assertThat(node.api.device(id)).isEqualTo(before);
  }

  /**
   * Every kind of bad input on every device topic: the right MQTT 5 PUBACK reason (none for QoS 0),
   * an error on {@code devices/{id}/errors}, the connection kept, and nothing changed — the event
   * seq does not move and the device and its finished mission read back the same.
   */
  @Test
  void badInputIsRefusedOnTheErrorsTopicAndChangesNothing() {
    String id = newDevice("bad");
    Mqtt5BlockingClient c = connect(id, register(id));
    var inbox = inboxes.get(c);
    String p = "devices/" + id + "/";
    assertThat(publish(c, p + "profile", "{\"kind\":\"rover\",\"labels\":{\"it\":\"" + id + "\"}}", MqttQos.AT_LEAST_ONCE)
        .getError()).isEmpty();
    String finished = submitFor(id);
    assertThat(next(inbox, p + "missions/assign").getString("missionId")).isEqualTo(finished);
    String finishedTopic = p + "missions/" + finished + "/status";
    assertThat(publish(c, finishedTopic, "{\"attempt\":1,\"status\":\"SUCCEEDED\"}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
    awaitOnlyOnline(id);
    long seq = seq();
    JsonObject device = node.api.device(id);
    JsonObject mission = node.api.mission(finished);
    assertThat(mission.getString("state")).isEqualTo("SUCCEEDED");

    record Case(String topic, String payload, MqttQos qos, Mqtt5PubAckReasonCode puback, String code) {
    }
    String unknown = p + "missions/m-none/status";
    List<Case> cases = List.of(
        new Case(p + "profile", "{not json", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "malformed-json"),
        new Case(p + "profile", "[1]", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "malformed-json"),
        new Case(p + "profile", "{\"capacity\":2}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "missing-field"),
        new Case(p + "profile", "{\"kind\":\"x\",\"capacity\":0}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(p + "profile", "{\"kind\":\"x\",\"capacity\":\"two\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(p + "profile", "{\"kind\":\"x\",\"labels\":{\"a\":1}}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(p + "profile", "{\"kind\":\"" + "k".repeat(MAX_MESSAGE_BYTES + 76) + "\"}", MqttQos.AT_LEAST_ONCE,
            Mqtt5PubAckReasonCode.QUOTA_EXCEEDED, "payload-too-large"),
        new Case(p + "telemetry", "{\"battery\":150}", MqttQos.AT_MOST_ONCE, null, "invalid-field"),
        new Case(p + "telemetry", "{\"lat\":\"north\"}", MqttQos.AT_MOST_ONCE, null, "invalid-field"),
        new Case(p + "telemetry", "nope", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "malformed-json"),
        new Case(unknown, "{\"attempt\":1,\"status\":\"RUNNING\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR, "mission-not-found"),
        new Case(unknown, "{\"attempt\":1,\"status\":\"DONE\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(unknown, "{\"attempt\":\"first\",\"status\":\"RUNNING\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(unknown, "{\"status\":\"RUNNING\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "missing-field"),
        new Case(unknown, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":300}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(finishedTopic, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":60}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR, "attempt-not-open"),
        new Case(p + "something", "{}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.TOPIC_NAME_INVALID, "unknown-topic"),
        new Case(p + "missions/assign", "{}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.TOPIC_NAME_INVALID, "unknown-topic"),
        new Case("devices/" + id + "-other/profile", "{\"kind\":\"x\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.NOT_AUTHORIZED, "not-authorized"),
        new Case("elsewhere", "{}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.NOT_AUTHORIZED, "not-authorized"));
    for (Case k : cases) {
      Mqtt5PublishResult r = publish(c, k.topic(), k.payload(), k.qos());
      if (k.puback() != null) assertThat(pubackCode(r)).as(k.toString()).isEqualTo(k.puback());
      JsonObject err = next(inbox, p + "errors");
      assertThat(err.getString("topic")).as(k.toString()).isEqualTo(k.topic());
      assertThat(err.getJsonObject("error").getString("code")).as(k.toString()).isEqualTo(k.code());
      assertThat(err.getJsonObject("error").getString("message")).as(k.toString()).isNotBlank();
      assertThat(seq()).as("event seq after " + k).isEqualTo(seq);
    }
    assertThat(node.api.device(id)).isEqualTo(device);
    assertThat(node.api.mission(finished)).isEqualTo(mission);
    assertThat(c.getState().isConnected()).isTrue();
  }

  @Test
  void subscriptionsOutsideTheOwnPrefixAreRefused() throws Exception {
    String id = newDevice("sub5");
    Mqtt5BlockingClient c = connect(id, register(id));
    assertThatThrownBy(() -> c.subscribeWith().topicFilter("devices/" + id + "-other/#").send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e ->
            assertThat(e.getMqttMessage().getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> c.subscribeWith().topicFilter("#").send())
        .isInstanceOf(Mqtt5SubAckException.class);
    JsonObject err = next(inboxes.get(c), "devices/" + id + "/errors");
    assertThat(err.getJsonObject("error").getString("code")).isEqualTo("not-authorized");

    String id3 = newDevice("sub3");
    MqttClient v3 = paho(id3, id3, register(id3));
    int[] granted = v3.subscribeWithResponse(new String[] {"devices/" + id3 + "/#", "devices/x/#"}, new int[] {1, 1})
        .getGrantedQos();
    assertThat(granted).containsExactly(1, 0x80);
  }

  @Test
  void missionStatusFlowWithProgressAsSoftState() {
    String id = newDevice("flow");
    Mqtt5BlockingClient c = connect(id, register(id));
    var inbox = inboxes.get(c);
    String missionId = submitFor(id);
    JsonObject a = next(inbox, "devices/" + id + "/missions/assign");
    assertThat(a.getString("missionId")).isEqualTo(missionId);
    assertThat(a.getInteger("attempt")).isEqualTo(1);
    assertThat(a.getString("type")).isEqualTo("survey");
    assertThat(a.getInteger("timeoutSec")).isEqualTo(60);
    assertThat(a.getJsonObject("payload").getString("area")).isEqualTo("north");

    String topic = "devices/" + id + "/missions/" + missionId + "/status";
    assertThat(publish(c, topic, "{\"attempt\":1,\"status\":\"ACCEPTED\"}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
    assertThat(publish(c, topic, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":10}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
    JsonObject m = node.api.mission(missionId);
    assertThat(m.getString("state")).isEqualTo("RUNNING");
    assertThat(m.getInteger("progress")).isEqualTo(10);

    // later progress of a running attempt is a soft signal: on the feed, not in the record
    FeedClient feed = feed("?types=device.progress&missionId=" + missionId);
    JsonObject progress = Eventually.until(WAIT, "progress of " + missionId, () -> {
      publish(c, topic, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":55}", MqttQos.AT_LEAST_ONCE);
      return feed.frames();
    }, f -> !f.isEmpty()).get(0);
    assertThat(progress.getInteger("progress")).isEqualTo(55);
    assertThat(progress.getString("deviceId")).isEqualTo(id);
    assertThat(progress.getBoolean("soft")).isTrue();
    assertThat(node.api.mission(missionId).getInteger("progress")).isEqualTo(10);

    assertThat(publish(c, topic, "{\"attempt\":1,\"status\":\"SUCCEEDED\",\"result\":{\"photos\":3}}", MqttQos.AT_LEAST_ONCE)
        .getError()).isEmpty();
    m = node.api.mission(missionId);
    assertThat(m.getString("state")).isEqualTo("SUCCEEDED");
    assertThat(m.getJsonObject("result").getInteger("photos")).isEqualTo(3);

    Mqtt5PublishResult late = publish(c, topic, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":60}", MqttQos.AT_LEAST_ONCE);
    assertThat(pubackCode(late)).isEqualTo(Mqtt5PubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR);
    assertThat(next(inbox, "devices/" + id + "/errors").getJsonObject("error").getString("code")).isEqualTo("attempt-not-open");
    assertThat(node.api.mission(missionId).getString("state")).isEqualTo("SUCCEEDED");
  }

  @Test
  void cancelIsSentForARevokedAttempt() {
    String id = newDevice("cancel");
    Mqtt5BlockingClient c = connect(id, register(id));
    var inbox = inboxes.get(c);
    String missionId = submitFor(id);
    next(inbox, "devices/" + id + "/missions/assign");
    Api.Response canceled = node.api.post("/api/v1/missions/" + missionId + "/cancel", new JsonObject().put("reason", "operator"));
    assertThat(canceled.status()).as(canceled.toString()).isEqualTo(200);
    JsonObject cancel = next(inbox, "devices/" + id + "/missions/" + missionId + "/cancel");
    assertThat(cancel.getInteger("attempt")).isEqualTo(1);
    assertThat(cancel.getString("reason")).isEqualTo("operator");
  }

  @Test
  void openAssignmentsAreRedeliveredOnReconnect() {
    String id = newDevice("redeliver");
    String token = register(id);
    Mqtt5BlockingClient first = connect(id, token);
    String missionId = submitFor(id);
    next(inboxes.get(first), "devices/" + id + "/missions/assign");
    first.disconnect();

    Mqtt5BlockingClient second = connect(id, token);
    JsonObject again = next(inboxes.get(second), "devices/" + id + "/missions/assign");
    assertThat(again.getString("missionId")).isEqualTo(missionId);
    assertThat(again.getInteger("attempt")).isEqualTo(1);
    assertThat(node.api.mission(missionId).getString("state")).isEqualTo("ASSIGNED");
  }

  @Test
  void aSecondConnectionTakesOverWithoutGoingOffline() {
    String id = newDevice("takeover");
    String token = register(id);
    Mqtt5BlockingClient first = connect(id, token);
    node.api.awaitDeviceState(id, "ONLINE", WAIT);
    FeedClient offline = feed("?types=device.offline&deviceId=" + id + "&since=" + persistedSeq());
    Mqtt5BlockingClient second = connect(id, token);
    Eventually.until(WAIT, "first connection closed", () -> first.getState().isConnected(), connected -> !connected);
    assertThat(disconnectReason(first)).isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
    assertThat(second.getState().isConnected()).isTrue();
    // the grace period (1 s) passes twice over: the device stays online and no offline event is written
    holdsFor(Duration.ofMillis(2500), "device online", () -> "ONLINE".equals(node.api.device(id).getString("state")));
    assertThat(offline.frames()).isEmpty();
    assertThat(offline.closed()).isEmpty();
    assertThat(publish(second, "devices/" + id + "/profile", "{\"kind\":\"drone\"}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
  }

  @Test
  void aDeviceGoesOfflineAfterTheGracePeriod() {
    String id = newDevice("grace");
    Mqtt5BlockingClient c = connect(id, register(id));
    node.api.awaitDeviceState(id, "ONLINE", WAIT);
    long closedAt = System.nanoTime();
    c.disconnect();
    node.api.awaitDeviceState(id, "OFFLINE", WAIT);
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).as("offline only once the grace period is over")
        .isGreaterThanOrEqualTo(Duration.ofMillis(900));
  }

  @Test
  void aPacketOverTheLimitClosesOnlyThatConnection() throws Exception {
    String id = newDevice("bystander");
    Mqtt5BlockingClient bystander = connect(id, register(id));
    String big = newDevice("big");
    String token = register(big);
    try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
      raw.connect(big, big, token, 30, true);
      raw.publish("devices/" + big + "/telemetry", "{\"x\":\"" + "y".repeat(8000) + "\"}");
      assertThat(raw.closedByServer()).isTrue();
    }
    assertThat(bystander.getState().isConnected()).isTrue();
    assertThat(publish(bystander, "devices/" + id + "/profile", "{\"kind\":\"drone\"}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
    assertThat(node.api.device(id).getString("kind")).isEqualTo("drone");
    Eventually.until(WAIT, "refusal counted", () -> meter("center_mqtt_refusals_total", "reason=\"packet-too-large\""),
        n -> n >= 1);
  }

  @Test
  void removingTheDeviceClosesItsSession() {
    String id = newDevice("removed");
    Mqtt5BlockingClient c = connect(id, register(id));
    node.api.awaitDeviceState(id, "ONLINE", WAIT);
    assertThat(node.api.delete("/api/v1/devices/" + id).status()).isEqualTo(204);
    Eventually.until(WAIT, "session closed", () -> c.getState().isConnected(), connected -> !connected);
    assertThat(disconnectReason(c)).isEqualTo(Mqtt5DisconnectReasonCode.ADMINISTRATIVE_ACTION);
    assertThat(connackCode(id, id, "any")).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(node.api.get("/api/v1/devices/" + id).status()).isEqualTo(404);
  }

  @Test
  void metersCountConnectionsMessagesAndRefusalsOnTheMetricsEndpoint() {
    String id = newDevice("meters");
    double connections = meter("center_mqtt_connections", null);
    double refusals = meter("center_mqtt_refusals_total", "reason=\"invalid-field\"");
    double telemetryIn = meter("center_mqtt_messages_in_total", "kind=\"telemetry\"");
    double errorsOut = meter("center_mqtt_messages_out_total", "kind=\"errors\"");
    Mqtt5BlockingClient c = connect(id, register(id));
    Eventually.until(WAIT, "connection counted", () -> meter("center_mqtt_connections", null), n -> n == connections + 1);
    publish(c, "devices/" + id + "/telemetry", "{\"battery\":500}", MqttQos.AT_MOST_ONCE);
    next(inboxes.get(c), "devices/" + id + "/errors");
    Eventually.until(WAIT, "refusal counted", () -> meter("center_mqtt_refusals_total", "reason=\"invalid-field\""),
        n -> n == refusals + 1);
    assertThat(meter("center_mqtt_messages_in_total", "kind=\"telemetry\"")).isEqualTo(telemetryIn + 1);
    assertThat(meter("center_mqtt_messages_out_total", "kind=\"errors\"")).isEqualTo(errorsOut + 1);
    c.disconnect();
    Eventually.until(WAIT, "connection gone", () -> meter("center_mqtt_connections", null), n -> n == connections);
  }

  // ---- raw protocol -----------------------------------------------------------------------------

  @Test
  void aSilentClientIsDroppedAfterOneAndAHalfKeepAlivesAndGoesOffline() throws Exception {
    String id = newDevice("silent");
    String token = register(id);
    try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
      byte[] connack = raw.connect(id, id, token, 1, true);
      assertThat(connack[1]).isEqualTo((byte) 0);
      long start = System.nanoTime();
      assertThat(raw.closedByServer()).isTrue();
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(ms).isBetween(1000L, 4000L);
    }
    node.api.awaitDeviceState(id, "OFFLINE", WAIT);
  }

  @Test
  void aWildcardInAPublishTopicClosesOnlyThatConnection() throws Exception {
    String id = newDevice("wildcard");
    String token = register(id);
    String other = newDevice("calm");
    Mqtt5BlockingClient bystander = connect(other, register(other));
    try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
      raw.connect(id, id, token, 30, true);
      raw.publish("devices/" + id + "/+", "{}");
      assertThat(raw.closedByServer()).isTrue();
    }
    assertThat(bystander.getState().isConnected()).isTrue();
    assertThat(publish(bystander, "devices/" + other + "/profile", "{\"kind\":\"drone\"}", MqttQos.AT_LEAST_ONCE)
        .getError()).isEmpty();
  }

  @Test
  void aPersistentSessionGetsItsUnacknowledgedMessagesAgainWithDup() throws Exception {
    String id = newDevice("persistent");
    String token = register(id);
    String missionId;
    int packetId;
    try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
      assertThat(raw.connect(id, id, token, 30, false)[1]).isEqualTo((byte) 0);
      raw.subscribe(1, "devices/" + id + "/missions/assign", 1);
      raw.await(RawMqtt.SUBACK);
      missionId = submitFor(id);
      RawMqtt.Packet p = raw.await(RawMqtt.PUBLISH);
      assertThat(p.topic()).isEqualTo("devices/" + id + "/missions/assign");
      assertThat(p.dup()).isFalse();
      packetId = p.packetId();
    }
    try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
      byte[] connack = raw.connect(id, id, token, 30, false);
      assertThat(connack[0]).as("session present").isEqualTo((byte) 1);
      RawMqtt.Packet again = raw.await(RawMqtt.PUBLISH);
      assertThat(again.dup()).isTrue();
      assertThat(again.packetId()).isEqualTo(packetId);
      assertThat(new JsonObject(new String(again.body(), 4 + again.topic().length(),
          again.body().length - 4 - again.topic().length(), StandardCharsets.UTF_8)).getString("missionId")).isEqualTo(missionId);
      raw.puback(packetId);
    }
  }

  /**
   * A client that closes and reconnects at once finds its session every time — also when the new
   * connection lands on the other MQTT server instance while the old one is still being closed.
   */
  @Test
  void aPersistentSessionSurvivesReconnectingAtOnceAgainAndAgain() throws Exception {
    String id = newDevice("reconnect");
    String token = register(id);
    try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
      raw.connect(id, id, token, 30, false);
      raw.subscribe(1, "devices/" + id + "/#", 1);
      raw.await(RawMqtt.SUBACK);
    }
    for (int i = 0; i < 100; i++) {
      try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
        assertThat(raw.connect(id, id, token, 30, false)[0]).as("session present on reconnect " + i).isEqualTo((byte) 1);
      }
    }
    try (RawMqtt raw = RawMqtt.open(node.mqttPort)) {
      raw.connect(id, id, token, 30, false);
      String missionId = submitFor(id);
      RawMqtt.Packet p = raw.await(RawMqtt.PUBLISH);
      assertThat(p.topic()).as("still subscribed").isEqualTo("devices/" + id + "/missions/assign");
      raw.puback(p.packetId());
      assertThat(node.api.awaitMissionState(missionId, "ASSIGNED", WAIT).getString("deviceId")).isEqualTo(id);
    }
  }

  // ---- the mosquitto command-line clients -------------------------------------------------------

  /**
   * A device made of the mosquitto command-line clients, both using the device id as client id:
   * mosquitto_sub waits for the assignment; each mosquitto_pub takes the session over and
   * mosquitto_sub reconnects by itself and subscribes again.
   */
  @Test
  void aDeviceOnTheMosquittoClientsGetsItsMissionAndReportsItsOutcome() throws Exception {
    String id = newDevice("mosquitto");
    String token = node.api.register(id, new JsonObject());
    FeedClient sessions = feed("?types=device.online&deviceId=" + id + "&since=" + persistedSeq());
    Process sub = mosquitto("mosquitto_sub", "-i", id, "-u", id, "-P", token, "-q", "1", "-C", "1", "-W", "60",
        "-t", "devices/" + id + "/missions/assign");
    Eventually.until(WAIT, "mosquitto_sub connected", sessions::frames, f -> f.size() == 1);

    String profile = new JsonObject().put("kind", "drone").put("capabilities", new JsonArray().add("camera"))
        .put("labels", new JsonObject().put("it", id)).encode();
    assertSucceeded(mosquitto("mosquitto_pub", "-V", "mqttv5", "-i", id, "-u", id, "-P", token, "-q", "1",
        "-t", "devices/" + id + "/profile", "-m", profile));
    assertThat(node.api.device(id).getString("kind")).as("acknowledged means applied").isEqualTo("drone");
    // every session that opens makes the device online again: mosquitto_sub, mosquitto_pub, mosquitto_sub back
    Eventually.until(WAIT, "mosquitto_sub back after the takeover", sessions::frames, f -> f.size() == 3);
    assertThat(sub.isAlive()).isTrue();

    // the mission needs the profile just published, so only the re-established subscription can receive it
    String missionId = node.api.submit(new JsonObject().put("type", "inspect").put("requirements", new JsonObject()
        .put("kind", "drone").put("capabilities", new JsonArray().add("camera"))
        .put("labels", new JsonObject().put("it", id)))).getString("id");
    String printed = assertSucceeded(sub).trim();
    JsonObject assignment = new JsonObject(printed);
    assertThat(assignment.getString("missionId")).isEqualTo(missionId);
    assertThat(assignment.getInteger("attempt")).isEqualTo(1);
    assertThat(assignment.getString("type")).isEqualTo("inspect");

    Process statuses = mosquitto("mosquitto_pub", "-V", "mqttv5", "-i", id, "-u", id, "-P", token, "-q", "1", "-l",
        "-t", "devices/" + id + "/missions/" + missionId + "/status");
    try (var stdin = statuses.getOutputStream()) {
      stdin.write(("{\"attempt\":1,\"status\":\"ACCEPTED\"}\n"
          + "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":40}\n"
          + "{\"attempt\":1,\"status\":\"SUCCEEDED\",\"result\":{\"inspected\":true}}\n").getBytes(StandardCharsets.UTF_8));
    }
    assertSucceeded(statuses);
    JsonObject done = node.api.awaitMissionState(missionId, "SUCCEEDED", WAIT);
    assertThat(done.getJsonObject("result").getBoolean("inspected")).isTrue();
    assertThat(done.getJsonArray("attempts").getJsonObject(0).getString("deviceId")).isEqualTo(id);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static String newDevice(String hint) {
    return "dp-" + hint + "-" + IDS.incrementAndGet();
  }

  /** Registers over REST with the label {@code it=<id>} that {@link #submitFor} requires; returns the token. */
  private static String register(String id) {
    return node.api.register(id, new JsonObject().put("labels", new JsonObject().put("it", id)));
  }

  /** Submits over REST a mission only the device {@code deviceId} qualifies for; the scheduler assigns it. */
  private static String submitFor(String deviceId) {
    return node.api.submit(new JsonObject().put("type", "survey").put("priority", 50)
        .put("payload", new JsonObject().put("area", "north"))
        .put("requirements", new JsonObject().put("labels", new JsonObject().put("it", deviceId)))
        .put("timeoutSec", 60).put("maxAttempts", 3)).getString("id");
  }

  private static long seq() {
    return node.api.get("/api/v1/cluster").json().getLong("seq");
  }

  private static long persistedSeq() {
    return node.api.get("/api/v1/cluster").json().getLong("persistedSeq");
  }

  /** Waits until {@code id} is the only online device, so no other test's device can still move the event seq. */
  private static void awaitOnlyOnline(String id) {
    Eventually.until(WAIT, "only " + id + " online", () -> node.api.get("/api/v1/devices?state=ONLINE&limit=500").json()
        .getJsonArray("items").stream().map(d -> ((JsonObject) d).getString("id")).toList(), ids -> ids.equals(List.of(id)));
  }

  /**
   * The value of one series on the node's {@code /metrics} (Prometheus text), 0 while it does not
   * exist yet; {@code label} (e.g. {@code reason="invalid-field"}) picks one series of a family.
   */
  private static double meter(String name, String label) {
    for (String line : node.api.get("/metrics").body().split("\n")) {
      if (line.startsWith("#") || line.isBlank()) continue;
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      int brace = series.indexOf('{');
      if (!(brace < 0 ? series : series.substring(0, brace)).equals(name)) continue;
      if (label != null && !series.contains(label)) continue;
      return Double.parseDouble(line.substring(space + 1));
    }
    return 0;
  }

  private FeedClient feed(String query) {
    FeedClient f = FeedClient.open(vertx, node, query);
    resources.add(f);
    return f;
  }

  private Mqtt5BlockingClient connect(String id, String token) {
    List<Throwable> causes = new CopyOnWriteArrayList<>();
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(node.mqttPort)
        .addDisconnectedListener(ctx -> causes.add(ctx.getCause())).buildBlocking();
    clients.add(c);
    disconnects.put(c, causes);
    inboxes.put(c, c.publishes(MqttGlobalPublishFilter.ALL));
    c.connectWith().keepAlive(30).simpleAuth().username(id).password(token.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
    c.subscribeWith().topicFilter("devices/" + id + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
    return c;
  }

  /** The reason of the DISCONNECT the server sent to {@code c}. */
  private Mqtt5DisconnectReasonCode disconnectReason(Mqtt5BlockingClient c) {
    List<Throwable> causes = Eventually.until(WAIT, "disconnect reported", () -> disconnects.get(c), l -> !l.isEmpty());
    Throwable cause = causes.get(0);
    if (cause instanceof Mqtt5DisconnectException d) return d.getMqttMessage().getReasonCode();
    return fail("not closed by a server DISCONNECT: " + cause);
  }

  private static Mqtt5ConnAckReasonCode connackCode(String clientId, String username, String password) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(clientId).serverHost("127.0.0.1")
        .serverPort(node.mqttPort).buildBlocking();
    var connect = c.connectWith();
    if (username != null) {
      connect.simpleAuth().username(username).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
    }
    try {
      connect.send();
      c.disconnect();
      return Mqtt5ConnAckReasonCode.SUCCESS;
    } catch (Mqtt5ConnAckException e) {
      return e.getMqttMessage().getReasonCode();
    }
  }

  private MqttClient paho(String clientId, String username, String password) throws MqttException {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + node.mqttPort, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setUserName(username);
    if (password != null) o.setPassword(password.toCharArray());
    o.setAutomaticReconnect(false);
    c.connect(o);
    resources.add(() -> {
      if (c.isConnected()) c.disconnect();
      c.close();
    });
    return c;
  }

  private int pahoConnectCode(String clientId, String username, String password) {
    try {
      MqttClient c = paho(clientId, username, password);
      c.disconnect();
      return 0;
    } catch (MqttException e) {
      return e.getReasonCode();
    }
  }

  /** Publishes and returns the outcome; a refusing PUBACK becomes a result carrying it, not an exception. */
  private static Mqtt5PublishResult publish(Mqtt5BlockingClient c, String topic, String payload, MqttQos qos) {
    try {
      return c.publishWith().topic(topic).qos(qos).payload(payload.getBytes(StandardCharsets.UTF_8)).send();
    } catch (Mqtt5PubAckException e) {
      return new Mqtt5PublishResult.Mqtt5Qos1Result() {
        @Override
        public Mqtt5PubAck getPubAck() {
          return e.getMqttMessage();
        }

        @Override
        public Mqtt5Publish getPublish() {
          return null;
        }

        @Override
        public Optional<Throwable> getError() {
          return Optional.of(e);
        }
      };
    }
  }

  private static Mqtt5PubAckReasonCode pubackCode(Mqtt5PublishResult r) {
    if (r instanceof Mqtt5PublishResult.Mqtt5Qos1Result q) return q.getPubAck().getReasonCode();
    return fail("not a QoS 1 result: " + r);
  }

  /** The next message on {@code topic}; others are skipped. */
  private static JsonObject next(Mqtt5BlockingClient.Mqtt5Publishes inbox, String topic) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        Optional<Mqtt5Publish> p = inbox.receive(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (p.isPresent() && p.get().getTopic().toString().equals(topic)) {
          return new JsonObject(new String(p.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return fail("nothing on " + topic + " within " + WAIT);
  }

  /** The condition holds at every check for the whole window. */
  private static void holdsFor(Duration window, String what, java.util.function.BooleanSupplier condition) {
    long end = System.nanoTime() + window.toNanos();
    while (System.nanoTime() < end) {
      assertThat(condition.getAsBoolean()).as(what).isTrue();
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  /** Starts a mosquitto command-line client against the node; the test ends it if it is still running. */
  private Process mosquitto(String... command) throws IOException {
    Path client = Path.of("/usr/bin", command[0]);
    if (!Files.isExecutable(client)) {
      fail(client + " is missing: install the mosquitto-clients package (.ci/run does)");
    }
    List<String> line = new ArrayList<>(List.of(client.toString(), "-h", "127.0.0.1", "-p", String.valueOf(node.mqttPort)));
    line.addAll(List.of(command).subList(1, command.length));
    Process p = new ProcessBuilder(line).start();
    resources.add(() -> {
      if (p.isAlive()) p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    });
    return p;
  }

  /** Waits for the client to exit with 0 and no complaint on stderr; returns what it printed. */
  private static String assertSucceeded(Process p) throws Exception {
    if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroy();
      fail(p.info().commandLine().orElse("mosquitto client") + " did not finish within " + WAIT);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("exit code; stderr: " + err).isZero();
    assertThat(err).as("stderr").isBlank();
    return out;
  }
}
