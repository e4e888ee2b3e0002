package io.falconmind.center.mqtt;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlException;
import io.falconmind.center.control.ControlPolicy;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionSpec;
import io.falconmind.center.control.MissionState;
import io.falconmind.center.control.PersistedEvents;
import io.falconmind.center.control.Requirements;
import io.falconmind.center.device.DeviceSignals;
import io.falconmind.center.device.DeviceTokens;
import io.falconmind.center.device.DeviceVerticle;
import io.falconmind.center.raft.RaftVerticle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
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
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Device protocol v1 over real sockets with real MQTT 5 (HiveMQ) and 3.1.1 (Paho) clients, against
 * the real control plane of one node (Raft member and state machine); only PostgreSQL is left out:
 * every applied command is reported persisted at once.
 */
@Timeout(120)
class DeviceProtocolTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String NODE = "n1";
  private static final AtomicInteger IDS = new AtomicInteger();

  private static Vertx vertx;
  private static ControlClient control;
  private static int port;
  private static SimpleMeterRegistry registry;
  private static final ConcurrentLinkedQueue<JsonObject> telemetry = new ConcurrentLinkedQueue<>();
  private static final ConcurrentLinkedQueue<JsonObject> progress = new ConcurrentLinkedQueue<>();
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();
  private final Map<Mqtt5BlockingClient, Mqtt5BlockingClient.Mqtt5Publishes> inboxes = new java.util.HashMap<>();

  /** Stands in for the store: reports every applied command as persisted at once, in order. */
  static final class PersistAtOnce extends VerticleBase {
    private long seq;

    @Override
    public Future<?> start() {
      return vertx.eventBus().<Applied>localConsumer(ControlClient.APPLIED, m -> {
        Applied a = m.body();
        if (!a.events().isEmpty()) seq = a.lastSeq();
        vertx.eventBus().publish(ControlClient.PERSISTED, new PersistedEvents(a.index(), seq, a.events()),
            new DeliveryOptions().setLocalOnly(true));
      }).completion();
    }
  }

  @BeforeAll
  static void startNode() throws Exception {
    vertx = Vertx.vertx();
    port = freePort();
    CenterConfig.Mqtt mqtt = new CenterConfig.Mqtt("127.0.0.1", port, 2, 1024, 1, 5, 4096);
    registry = new SimpleMeterRegistry();
    await(vertx.deployVerticle(new PersistAtOnce()));
    await(vertx.deployVerticle(new RaftVerticle(NODE, new CenterConfig.Raft(200, 1, 3, 20000, 50000),
        new ControlPolicy(100, 400), ControlSnapshot.EMPTY)));
    await(vertx.deployVerticle(new DeviceVerticle(NODE, mqtt, registry)));
    await(vertx.deployVerticle(() -> new MqttVerticle(NODE, mqtt, registry), new DeploymentOptions().setInstances(2)));
    control = new ControlClient(vertx);
    vertx.eventBus().<JsonObject>localConsumer(DeviceSignals.TELEMETRY, m -> telemetry.add(m.body()));
    vertx.eventBus().<JsonObject>localConsumer(DeviceSignals.PROGRESS, m -> progress.add(m.body()));
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (vertx != null) await(vertx.close());
  }

  @AfterEach
  void disconnectClients() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) c.disconnect();
      inboxes.get(c).close();
    }
  }

  // ---- auth -----------------------------------------------------------------------------------

  @Test
  void refusesBadCredentialsOverMqtt5() {
    String id = newDevice();
    String token = register(id);
    assertThat(connackCode(id, id, "wrong")).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(connackCode("ghost", "ghost", token)).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(connackCode(id, null, null)).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(connackCode(id + "-other", id, token)).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
  }

  @Test
  void refusesBadCredentialsOverMqtt311AndAcceptsLongIds() throws Exception {
    String id = newDevice() + "-" + "x".repeat(50);
    String token = register(id);
    assertThat(pahoConnectCode(id, id, "wrong")).isEqualTo(4);
    assertThat(pahoConnectCode(id + "y", id, token)).isEqualTo(5);
    MqttClient ok = paho(id, id, token);
    assertThat(ok.isConnected()).isTrue();
    ok.disconnect();
    ok.close();
  }

  // ---- device -> center -------------------------------------------------------------------------

  @Test
  void profileUpdatesTheDeviceOnceAcknowledged() {
    String id = newDevice();
    Mqtt5BlockingClient c = connect(id, register(id));
    Mqtt5PublishResult r = publish(c, "devices/" + id + "/profile",
        "{\"kind\":\"drone\",\"capabilities\":[\"camera\"],\"capacity\":2,\"labels\":{\"site\":\"n\"}}", MqttQos.AT_LEAST_ONCE);
    assertThat(r.getError()).isEmpty();
    Device d = await(control.device(id));
    assertThat(d.kind()).isEqualTo("drone");
    assertThat(d.capacity()).isEqualTo(2);
    assertThat(d.online()).isTrue();
    assertThat(d.nodeId()).isEqualTo(NODE);
  }

  @Test
  void telemetryIsSoftState() {
    String id = newDevice();
    Mqtt5BlockingClient c = connect(id, register(id));
    publish(c, "devices/" + id + "/telemetry", "{\"battery\":77,\"lat\":1.5,\"lon\":2.5,\"temp\":20}", MqttQos.AT_MOST_ONCE);
    JsonObject t = eventually("telemetry of " + id,
        () -> telemetry.stream().filter(j -> id.equals(j.getString("deviceId"))).findFirst().orElse(null),
        j -> j != null);
    assertThat(t.getInteger("battery")).isEqualTo(77);
    assertThat(t.getInteger("temp")).isEqualTo(20);
    assertThat(t.getLong("at")).isPositive();
  }

  @Test
  void badInputIsRefusedOnTheErrorsTopicAndChangesNothing() {
    String id = newDevice();
    Mqtt5BlockingClient c = connect(id, register(id));
    var inbox = inboxes.get(c);
    publish(c, "devices/" + id + "/profile", "{\"kind\":\"rover\"}", MqttQos.AT_LEAST_ONCE);
    String p = "devices/" + id + "/";
    record Case(String topic, String payload, MqttQos qos, Mqtt5PubAckReasonCode puback, String code) {
    }
    List<Case> cases = List.of(
        new Case(p + "profile", "{not json", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "malformed-json"),
        new Case(p + "profile", "[1]", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "malformed-json"),
        new Case(p + "profile", "{\"capacity\":2}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "missing-field"),
        new Case(p + "profile", "{\"kind\":\"x\",\"capacity\":0}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(p + "profile", "{\"kind\":\"x\",\"labels\":{\"a\":1}}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(p + "profile", "{\"kind\":\"" + "k".repeat(1100) + "\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.QUOTA_EXCEEDED, "payload-too-large"),
        new Case(p + "telemetry", "{\"battery\":150}", MqttQos.AT_MOST_ONCE, null, "invalid-field"),
        new Case(p + "telemetry", "{\"lat\":\"north\"}", MqttQos.AT_MOST_ONCE, null, "invalid-field"),
        new Case(p + "telemetry", "nope", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "malformed-json"),
        new Case(p + "missions/m-none/status", "{\"attempt\":1,\"status\":\"RUNNING\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR, "mission-not-found"),
        new Case(p + "missions/m-none/status", "{\"attempt\":1,\"status\":\"DONE\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(p + "missions/m-none/status", "{\"status\":\"RUNNING\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "missing-field"),
        new Case(p + "missions/m-none/status", "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":300}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, "invalid-field"),
        new Case(p + "something", "{}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.TOPIC_NAME_INVALID, "unknown-topic"),
        new Case(p + "missions/assign", "{}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.TOPIC_NAME_INVALID, "unknown-topic"),
        new Case("devices/someone-else/profile", "{\"kind\":\"x\"}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.NOT_AUTHORIZED, "not-authorized"),
        new Case("elsewhere", "{}", MqttQos.AT_LEAST_ONCE, Mqtt5PubAckReasonCode.NOT_AUTHORIZED, "not-authorized"));
    for (Case k : cases) {
      Mqtt5PublishResult r = publish(c, k.topic(), k.payload(), k.qos());
      if (k.puback() != null) assertThat(pubackCode(r)).as(k.toString()).isEqualTo(k.puback());
      JsonObject err = next(inbox, p + "errors");
      assertThat(err.getString("topic")).as(k.toString()).isEqualTo(k.topic());
      assertThat(err.getJsonObject("error").getString("code")).as(k.toString()).isEqualTo(k.code());
      assertThat(err.getJsonObject("error").getString("message")).isNotBlank();
    }
    Device d = await(control.device(id));
    assertThat(d.kind()).isEqualTo("rover");
    assertThat(d.capacity()).isEqualTo(1);
    assertThat(c.getState().isConnected()).isTrue();
  }

  @Test
  void subscriptionsOutsideTheOwnPrefixAreRefused() throws Exception {
    String id = newDevice();
    Mqtt5BlockingClient c = connect(id, register(id));
    assertThatThrownBy(() -> c.subscribeWith().topicFilter("devices/other/#").send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e ->
            assertThat(e.getMqttMessage().getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> c.subscribeWith().topicFilter("#").send())
        .isInstanceOf(Mqtt5SubAckException.class);

    String id3 = newDevice();
    MqttClient v3 = paho(id3, id3, register(id3));
    int[] granted = v3.subscribeWithResponse(new String[] {"devices/" + id3 + "/#", "devices/x/#"}, new int[] {1, 1})
        .getGrantedQos();
    assertThat(granted).containsExactly(1, 0x80);
    v3.disconnect();
    v3.close();
  }

  @Test
  void missionStatusFlowWithProgressAsSoftState() {
    String id = newDevice();
    Mqtt5BlockingClient c = connect(id, register(id));
    var inbox = inboxes.get(c);
    String missionId = assign(id);
    JsonObject a = next(inbox, "devices/" + id + "/missions/assign");
    assertThat(a.getString("missionId")).isEqualTo(missionId);
    assertThat(a.getInteger("attempt")).isEqualTo(1);
    assertThat(a.getString("type")).isEqualTo("survey");
    assertThat(a.getInteger("timeoutSec")).isEqualTo(60);
    assertThat(a.getJsonObject("payload").getString("area")).isEqualTo("north");

    String topic = "devices/" + id + "/missions/" + missionId + "/status";
    assertThat(publish(c, topic, "{\"attempt\":1,\"status\":\"ACCEPTED\"}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
    assertThat(publish(c, topic, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":10}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
    Mission m = await(control.mission(missionId));
    assertThat(m.state()).isEqualTo(MissionState.RUNNING);
    assertThat(m.progress()).isEqualTo(10);

    publish(c, topic, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":55}", MqttQos.AT_LEAST_ONCE);
    JsonObject p = eventually("progress", () -> progress.stream()
        .filter(j -> missionId.equals(j.getString("missionId"))).findFirst().orElse(null), j -> j != null);
    assertThat(p.getInteger("progress")).isEqualTo(55);
    assertThat(p.getString("deviceId")).isEqualTo(id);
    assertThat(await(control.mission(missionId)).progress()).isEqualTo(10);

    assertThat(publish(c, topic, "{\"attempt\":1,\"status\":\"SUCCEEDED\",\"result\":{\"photos\":3}}", MqttQos.AT_LEAST_ONCE)
        .getError()).isEmpty();
    m = await(control.mission(missionId));
    assertThat(m.state()).isEqualTo(MissionState.SUCCEEDED);
    assertThat(m.result().getInteger("photos")).isEqualTo(3);

    Mqtt5PublishResult late = publish(c, topic, "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":60}", MqttQos.AT_LEAST_ONCE);
    assertThat(pubackCode(late)).isEqualTo(Mqtt5PubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR);
    assertThat(next(inbox, "devices/" + id + "/errors").getJsonObject("error").getString("code")).isEqualTo("attempt-not-open");
  }

  @Test
  void cancelIsSentForARevokedAttempt() {
    String id = newDevice();
    Mqtt5BlockingClient c = connect(id, register(id));
    var inbox = inboxes.get(c);
    String missionId = assign(id);
    next(inbox, "devices/" + id + "/missions/assign");
    Applied canceled = propose(new Command.CancelMission(missionId, "operator", System.currentTimeMillis()));
    assertThat(canceled.refused()).isFalse();
    JsonObject cancel = next(inbox, "devices/" + id + "/missions/" + missionId + "/cancel");
    assertThat(cancel.getInteger("attempt")).isEqualTo(1);
    assertThat(cancel.getString("reason")).isEqualTo("operator");
  }

  @Test
  void openAssignmentsAreRedeliveredOnReconnect() {
    String id = newDevice();
    String token = register(id);
    Mqtt5BlockingClient first = connect(id, token);
    var inbox1 = inboxes.get(first);
    String missionId = assign(id);
    next(inbox1, "devices/" + id + "/missions/assign");
    first.disconnect();

    Mqtt5BlockingClient second = connect(id, token);
    var inbox2 = inboxes.get(second);
    JsonObject again = next(inbox2, "devices/" + id + "/missions/assign");
    assertThat(again.getString("missionId")).isEqualTo(missionId);
    assertThat(again.getInteger("attempt")).isEqualTo(1);
  }

  @Test
  void aSecondConnectionTakesOverWithoutGoingOffline() {
    String id = newDevice();
    String token = register(id);
    Mqtt5BlockingClient first = connect(id, token);
    Mqtt5BlockingClient second = connect(id, token);
    eventually("first connection closed", () -> first.getState().isConnected(), connected -> !connected);
    assertThat(second.getState().isConnected()).isTrue();
    // the grace period (1 s) passes twice over: the device stays online
    during(Duration.ofMillis(2500), "device online", () -> await(control.device(id)).online());
    assertThat(publish(second, "devices/" + id + "/profile", "{\"kind\":\"drone\"}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
  }

  @Test
  void aDeviceGoesOfflineAfterTheGracePeriod() {
    String id = newDevice();
    String token = register(id);
    Mqtt5BlockingClient c = connect(id, token);
    eventually("online", () -> await(control.device(id)).online(), on -> on);
    c.disconnect();
    eventually("offline", () -> await(control.device(id)).online(), on -> !on);
  }

  @Test
  void aPacketOverTheLimitClosesOnlyThatConnection() throws Exception {
    String id = newDevice();
    Mqtt5BlockingClient bystander = connect(id, register(id));
    String big = newDevice();
    String token = register(big);
    try (RawMqtt raw = RawMqtt.open(port)) {
      raw.connect(big, big, token, 30, true);
      raw.publish("devices/" + big + "/telemetry", "{\"x\":\"" + "y".repeat(8000) + "\"}");
      assertThat(raw.closedByServer()).isTrue();
    }
    assertThat(bystander.getState().isConnected()).isTrue();
    assertThat(publish(bystander, "devices/" + id + "/profile", "{\"kind\":\"drone\"}", MqttQos.AT_LEAST_ONCE).getError()).isEmpty();
  }

  @Test
  void removingTheDeviceClosesItsSession() {
    String id = newDevice();
    Mqtt5BlockingClient c = connect(id, register(id));
    eventually("online", () -> await(control.device(id)).online(), on -> on);
    assertThat(propose(new Command.RemoveDevice(id, System.currentTimeMillis())).refused()).isFalse();
    eventually("session closed", () -> c.getState().isConnected(), connected -> !connected);
    assertThat(connackCode(id, id, "any")).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
  }

  @Test
  void metersCountConnectionsMessagesAndRefusals() {
    String id = newDevice();
    double before = registry.get("center.mqtt.connections").gauge().value();
    Mqtt5BlockingClient c = connect(id, register(id));
    assertThat(registry.get("center.mqtt.connections").gauge().value()).isEqualTo(before + 1);
    publish(c, "devices/" + id + "/telemetry", "{\"battery\":500}", MqttQos.AT_MOST_ONCE);
    eventually("refusal counted", () -> registry.find("center.mqtt.refusals").tag("reason", "invalid-field").counter(),
        counter -> counter != null && counter.count() >= 1);
    assertThat(registry.get("center.mqtt.messages.in").tag("kind", "telemetry").counter().count()).isPositive();
    assertThat(registry.get("center.mqtt.messages.out").tag("kind", "errors").counter().count()).isPositive();
    c.disconnect();
    eventually("connection gone", () -> registry.get("center.mqtt.connections").gauge().value(), v -> v == before);
  }

  // ---- raw protocol -----------------------------------------------------------------------------

  @Test
  void aSilentClientIsDroppedAfterOneAndAHalfKeepAlivesAndGoesOffline() throws Exception {
    String id = newDevice();
    String token = register(id);
    try (RawMqtt raw = RawMqtt.open(port)) {
      byte[] connack = raw.connect(id, id, token, 1, true);
      assertThat(connack[1]).isEqualTo((byte) 0);
      long start = System.nanoTime();
      assertThat(raw.closedByServer()).isTrue();
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(ms).isBetween(1000L, 4000L);
    }
    eventually("offline", () -> await(control.device(id)).online(), on -> !on);
  }

  @Test
  void aWildcardInAPublishTopicClosesTheConnection() throws Exception {
    String id = newDevice();
    String token = register(id);
    try (RawMqtt raw = RawMqtt.open(port)) {
      raw.connect(id, id, token, 30, true);
      raw.publish("devices/" + id + "/+", "{}");
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void aPersistentSessionGetsItsUnacknowledgedMessagesAgainWithDup() throws Exception {
    String id = newDevice();
    String token = register(id);
    String missionId;
    int packetId;
    try (RawMqtt raw = RawMqtt.open(port)) {
      assertThat(raw.connect(id, id, token, 30, false)[1]).isEqualTo((byte) 0);
      raw.subscribe(1, "devices/" + id + "/missions/assign", 1);
      raw.await(RawMqtt.SUBACK);
      missionId = assign(id);
      RawMqtt.Packet p = raw.await(RawMqtt.PUBLISH);
      assertThat(p.topic()).isEqualTo("devices/" + id + "/missions/assign");
      assertThat(p.dup()).isFalse();
      packetId = p.packetId();
    }
    try (RawMqtt raw = RawMqtt.open(port)) {
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

  // ---- helpers --------------------------------------------------------------------------------

  private static String newDevice() {
    return "dev-" + IDS.incrementAndGet() + "-" + System.nanoTime() % 100000;
  }

  private static String register(String id) {
    String token = DeviceTokens.newToken();
    Applied a = propose(new Command.RegisterDevice(id, id, Map.of(), DeviceTokens.hash(token), System.currentTimeMillis()));
    assertThat(a.refused()).isFalse();
    return token;
  }

  private static String assign(String deviceId) {
    String missionId = "m-" + IDS.incrementAndGet();
    long now = System.currentTimeMillis();
    MissionSpec spec = new MissionSpec(missionId, "survey", 50, new JsonObject().put("area", "north"),
        Requirements.NONE, 60, 3, null, null, "h-" + missionId);
    propose(new Command.SubmitMissions(List.of(spec), now));
    eventually("device online", () -> await(control.device(deviceId)).online(), on -> on);
    Applied a = propose(new Command.AssignMissions(List.of(new Command.Assignment(missionId, deviceId, 1)), now + 1));
    assertThat(a.reply().getJsonArray("applied")).as(a.reply().encode()).contains(missionId);
    return missionId;
  }

  /** Proposes, retrying while the single member elects itself. */
  private static Applied propose(Command command) {
    return eventually("proposal " + command.getClass().getSimpleName(), () -> {
      try {
        return await(control.propose(command));
      } catch (ControlException e) {
        if (e.retryable()) return null;
        throw e;
      }
    }, a -> a != null);
  }

  private Mqtt5BlockingClient connect(String id, String token) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port).buildBlocking();
    clients.add(c);
    inboxes.put(c, c.publishes(MqttGlobalPublishFilter.ALL));
    c.connectWith().keepAlive(30).simpleAuth().username(id).password(token.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
    c.subscribeWith().topicFilter("devices/" + id + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
    return c;
  }

  private Mqtt5ConnAckReasonCode connackCode(String clientId, String username, String password) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(port).buildBlocking();
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

  private static MqttClient paho(String clientId, String username, String password) throws MqttException {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setUserName(username);
    o.setPassword(password.toCharArray());
    o.setAutomaticReconnect(false);
    c.connect(o);
    return c;
  }

  private static int pahoConnectCode(String clientId, String username, String password) {
    try {
      MqttClient c = paho(clientId, username, password);
      c.disconnect();
      c.close();
      return 0;
    } catch (MqttException e) {
      return e.getReasonCode();
    }
  }

  private static Mqtt5PublishResult publish(Mqtt5BlockingClient c, String topic, String payload, MqttQos qos) {
    try {
      return c.publishWith().topic(topic).qos(qos).payload(payload.getBytes(StandardCharsets.UTF_8)).send();
    } catch (Mqtt5PubAckException e) {
      return new Mqtt5PublishResult.Mqtt5Qos1Result() {
        @Override
        public com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAck getPubAck() {
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

  private static <T> T eventually(String what, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      last = probe.get();
      if (done.test(last)) return last;
      LockSupport.parkNanos(Duration.ofMillis(25).toNanos());
    }
    return fail("timed out waiting for " + what + "; last: " + last);
  }

  /** The condition holds the whole time. */
  private static void during(Duration window, String what, Supplier<Boolean> probe) {
    long end = System.nanoTime() + window.toNanos();
    while (System.nanoTime() < end) {
      assertThat(probe.get()).as(what).isTrue();
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
