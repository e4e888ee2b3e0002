package io.falconmind.center.it.broker;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.falconmind.center.broker.BrokerAccess;
import io.falconmind.center.it.Eventually;
import io.falconmind.center.it.TestNode;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.falconmind.center.it.broker.Mqtt5Clients.next;
import static io.falconmind.center.it.broker.Mqtt5Clients.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The broker of one node against real clients (HiveMQ 3.1.1 and 5, Paho, mosquitto_pub/sub and a
 * raw socket): QoS 0-2, retained messages, the {@code $} rule, wills, persistent sessions, shared
 * subscriptions, MQTT 5 subscription options and properties, users and ACL, limits, and hostile
 * packets that close only the offending connection.
 */
@Timeout(60)
class BrokerProtocolIT {

  private static TestNode node;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void start() {
    String alice = "alice:" + BrokerAccess.hashPassword("wonder");
    node = TestNode.start(Map.of("mqtt.allowAnonymous", "true", "mqtt.users", alice,
        "mqtt.acl", "user:alice readwrite %u/#,user:alice read public/#,anonymous readwrite #,all read $SYS/#",
        "mqtt.maxPublishRate", "200", "mqtt.maxPacketBytes", "65536", "mqtt.sysIntervalSec", "1"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @AfterEach
  void closeClients() {
    for (AutoCloseable c : open) {
      try {
        c.close();
      } catch (Exception ignored) {
        // already closed
      }
    }
  }

  // ---- clients ------------------------------------------------------------------------------

  private Mqtt5BlockingClient v5(String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(node.mqttPort)
        .buildBlocking();
    open.add(() -> {
      if (c.getState().isConnected()) c.disconnect();
    });
    return c;
  }

  private Mqtt5BlockingClient v5connected(String id) {
    Mqtt5BlockingClient c = v5(id);
    c.connect();
    return c;
  }

  private Mqtt3BlockingClient v3connected(String id) {
    Mqtt3BlockingClient c = Mqtt3Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(node.mqttPort)
        .buildBlocking();
    c.connect();
    open.add(() -> {
      if (c.getState().isConnected()) c.disconnect();
    });
    return c;
  }

  private static Mqtt5Publish receive(Mqtt5BlockingClient.Mqtt5Publishes publishes) {
    return next(publishes, 10_000).orElseThrow(() -> new AssertionError("nothing received within 10 s"));
  }

  private static void publish(Mqtt5BlockingClient c, String topic, String payload, MqttQos qos, boolean retain) {
    c.publishWith().topic(topic).payload(payload.getBytes(StandardCharsets.UTF_8)).qos(qos).retain(retain).send();
  }

  // ---- QoS, retained, $ ---------------------------------------------------------------------

  /**
   * A message published as soon as the subscriber has its SUBACK reaches it: the subscription is
   * in force before the SUBACK goes out. The publisher and the subscriber each have two
   * connections, so that some rounds cross the node's event loops.
   */
  @Test
  void aSubscriptionIsInForceOnceItsSubackArrives() {
    List<Mqtt5BlockingClient> subs = List.of(v5connected("suback-sub-a"), v5connected("suback-sub-b"));
    List<Mqtt5BlockingClient> pubs = List.of(v5connected("suback-pub-a"), v5connected("suback-pub-b"));
    for (int i = 0; i < 200; i++) {
      Mqtt5BlockingClient sub = subs.get(i % 2);
      var got = sub.publishes(MqttGlobalPublishFilter.SUBSCRIBED);
      String topic = "suback/" + i;
      String payload = "m" + i;
      sub.subscribeWith().topicFilter(topic).qos(MqttQos.AT_MOST_ONCE).send();
      pubs.get((i / 2) % 2).publishWith().topic(topic).payload(payload.getBytes(StandardCharsets.UTF_8))
          .qos(MqttQos.AT_MOST_ONCE).send();
      assertThat(next(got, 5_000)).as("round %d", i).hasValueSatisfying(p -> assertThat(text(p)).isEqualTo(payload));
      got.close();
      sub.unsubscribeWith().topicFilter(topic).send();
    }
  }

  @Test
  void everyQosBetweenMqtt311AndMqtt5ClientsAtTheLowerOfTheTwoQos() {
    Mqtt5BlockingClient sub = v5connected("q-sub");
    var got = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("q/1").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt3BlockingClient pub = v3connected("q-pub");

    pub.publishWith().topic("q/1").payload("zero".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_MOST_ONCE).send();
    pub.publishWith().topic("q/1").payload("one".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();
    pub.publishWith().topic("q/1").payload("two".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.EXACTLY_ONCE).send();

    Mqtt5Publish a = receive(got);
    Mqtt5Publish b = receive(got);
    Mqtt5Publish c = receive(got);
    assertThat(List.of(text(a), text(b), text(c))).containsExactly("zero", "one", "two");
    assertThat(List.of(a.getQos(), b.getQos(), c.getQos()))
        .containsExactly(MqttQos.AT_MOST_ONCE, MqttQos.AT_LEAST_ONCE, MqttQos.AT_LEAST_ONCE);
  }

  @Test
  void retainedMessagesAreSetReplacedAndClearedAndMatchWildcards() {
    Mqtt5BlockingClient pub = v5connected("r-pub");
    publish(pub, "ret/a/x", "first", MqttQos.AT_LEAST_ONCE, true);
    publish(pub, "ret/a/x", "second", MqttQos.AT_LEAST_ONCE, true);
    publish(pub, "ret/b/y", "other", MqttQos.AT_LEAST_ONCE, true);
    publish(pub, "ret/b/y", "", MqttQos.AT_LEAST_ONCE, true);

    Mqtt5BlockingClient sub = v5connected("r-sub");
    var got = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("ret/+/#").qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt5Publish p = receive(got);
    assertThat(text(p)).isEqualTo("second");
    assertThat(p.isRetain()).isTrue();
    assertThat(next(got, 500)).isEmpty();
  }

  @Test
  void wildcardsAtTheStartDoNotMatchDollarTopics() {
    Mqtt5BlockingClient all = v5connected("dollar-all");
    var everything = all.publishes(MqttGlobalPublishFilter.ALL);
    all.subscribeWith().topicFilter("#").qos(MqttQos.AT_MOST_ONCE).send();
    Mqtt5BlockingClient sys = v5connected("dollar-sys");
    var sysGot = sys.publishes(MqttGlobalPublishFilter.ALL);
    sys.subscribeWith().topicFilter("$SYS/broker/#").qos(MqttQos.AT_MOST_ONCE).send();

    assertThat(receive(sysGot).getTopic().toString()).startsWith("$SYS/broker/");
    while (true) {
      Optional<Mqtt5Publish> p = next(everything, 1_500);
      if (p.isEmpty()) break;
      assertThat(p.get().getTopic().toString()).doesNotStartWith("$");
    }
  }

  /**
   * The node's statistics topics under the names MQTT brokers commonly use, every
   * {@code mqtt.sysIntervalSec} (1 s here): counts, what the node holds, and the load as moving
   * averages per minute.
   */
  @Test
  void statisticsTopicsCountClientsMessagesAndTheLoad() {
    Mqtt5BlockingClient watcher = v5connected("sys-watcher");
    var sysGot = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("$SYS/broker/#").qos(MqttQos.AT_MOST_ONCE).send();
    Mqtt5BlockingClient pub = v5connected("sys-pub");
    for (int i = 0; i < 50; i++) publish(pub, "sys-load/" + i, "x", MqttQos.AT_LEAST_ONCE, false);

    List<String> names = List.of("clients/connected", "clients/disconnected", "clients/maximum", "clients/expired",
        "messages/received", "messages/stored", "messages/inflight", "heap/current", "load/messages/received/1min",
        "load/connections/1min", "load/connections/5min", "load/bytes/sent/15min", "load/publish/dropped/1min");
    Map<String, String> latest = new java.util.HashMap<>();
    Eventually.until(Duration.ofSeconds(10), "statistics after 50 publications", () -> {
      next(sysGot, 200).ifPresent(p -> latest.put(p.getTopic().toString().substring("$SYS/broker/".length()), text(p)));
      return latest;
    }, m -> m.keySet().containsAll(names)
        && Double.parseDouble(m.get("load/messages/received/1min")) > 0
        && Long.parseLong(m.get("messages/received")) >= 50
        && Long.parseLong(m.get("clients/maximum")) >= 2);

    assertThat(Long.parseLong(latest.get("clients/connected"))).isGreaterThanOrEqualTo(2);
    assertThat(Double.parseDouble(latest.get("load/connections/1min"))).isPositive();
  }

  // ---- wills and sessions -------------------------------------------------------------------

  @Test
  void aWillIsSentWhenTheConnectionIsLostNotAfterANormalDisconnect() throws Exception {
    Mqtt5BlockingClient watcher = v5connected("will-watcher");
    var wills = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("will/#").qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt5BlockingClient polite = v5("will-polite");
    polite.connectWith().willPublish().topic("will/polite").payload("bye".getBytes(StandardCharsets.UTF_8))
        .applyWillPublish().send();
    polite.disconnect();
    try (RawSocket raw = RawSocket.open(node.mqttPort)) {
      raw.connect311("will-lost", "will/lost", "lost");
      // the socket closes without DISCONNECT
    }

    Mqtt5Publish p = receive(wills);
    assertThat(p.getTopic().toString()).isEqualTo("will/lost");
    assertThat(next(wills, 500)).isEmpty();
  }

  @Test
  void aWillDelayIsCancelledByAReconnectWithinIt() {
    Mqtt5BlockingClient watcher = v5connected("delay-watcher");
    var wills = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("delayed/#").qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt5BlockingClient c = v5("delayed-client");
    c.connectWith().cleanStart(true).sessionExpiryInterval(60).willPublish().topic("delayed/one")
        .payload("late".getBytes(StandardCharsets.UTF_8)).delayInterval(2).applyWillPublish().send();
    c.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
    Mqtt5BlockingClient back = v5("delayed-client");
    back.connectWith().cleanStart(false).sessionExpiryInterval(60).send();

    assertThat(next(wills, 3_500)).isEmpty();

    back.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
    // no will on this connection: nothing either
    assertThat(next(wills, 500)).isEmpty();
  }

  @Test
  void aPersistentMqtt311SessionGetsTheMessagesQueuedWhileAway() throws Exception {
    MqttClient paho = new MqttClient("tcp://127.0.0.1:" + node.mqttPort, "paho-persistent", new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(false);
    LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
    paho.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {
      }

      @Override
      public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage message) {
        got.add(new String(message.getPayload(), StandardCharsets.UTF_8));
      }

      @Override
      public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
      }
    });
    paho.connect(options);
    paho.subscribe("away/#", 2);
    paho.disconnect();

    Mqtt5BlockingClient pub = v5connected("away-pub");
    publish(pub, "away/1", "a1", MqttQos.AT_LEAST_ONCE, false);
    publish(pub, "away/2", "a2", MqttQos.EXACTLY_ONCE, false);
    publish(pub, "away/3", "a3", MqttQos.AT_MOST_ONCE, false);

    paho.connect(options);
    assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("a1");
    assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("a2");
    assertThat(got.poll(500, TimeUnit.MILLISECONDS)).isNull();
    paho.disconnect();
    paho.close();
  }

  @Test
  void aSecondConnectionWithTheSameClientIdTakesTheSessionOver() throws Exception {
    CompletableFuture<Mqtt5DisconnectReasonCode> reason = new CompletableFuture<>();
    Mqtt5BlockingClient old = Mqtt5Client.builder().identifier("same-id").serverHost("127.0.0.1")
        .serverPort(node.mqttPort).addDisconnectedListener(ctx -> {
          if (ctx.getSource() == MqttDisconnectSource.SERVER && ctx.getCause() instanceof Mqtt5DisconnectException d) {
            reason.complete(d.getMqttMessage().getReasonCode());
          }
        }).buildBlocking();
    old.connect();
    v5connected("same-id");

    assertThat(reason.get(10, TimeUnit.SECONDS)).isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
  }

  @Test
  void aSharedSubscriptionGivesEachMessageToOneMember() {
    Mqtt5BlockingClient m1 = v5connected("share-1");
    Mqtt5BlockingClient m2 = v5connected("share-2");
    var at1 = m1.publishes(MqttGlobalPublishFilter.ALL);
    var at2 = m2.publishes(MqttGlobalPublishFilter.ALL);
    m1.subscribeWith().topicFilter("$share/g/work/#").qos(MqttQos.AT_LEAST_ONCE).send();
    m2.subscribeWith().topicFilter("$share/g/work/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = v5connected("share-pub");
    for (int i = 0; i < 20; i++) publish(pub, "work/" + i, "w" + i, MqttQos.AT_LEAST_ONCE, false);

    List<String> one = new ArrayList<>();
    List<String> two = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 10_000;
    while (one.size() + two.size() < 20 && System.currentTimeMillis() < deadline) {
      next(at1, 50).ifPresent(p -> one.add(text(p)));
      next(at2, 50).ifPresent(p -> two.add(text(p)));
    }
    Set<String> all = new HashSet<>(one);
    all.addAll(two);
    assertThat(one.size() + two.size()).isEqualTo(20);
    assertThat(all).hasSize(20);
    assertThat(one).hasSize(10);
    assertThat(two).hasSize(10);
  }

  // ---- MQTT 5 -------------------------------------------------------------------------------

  @Test
  void mqtt5SubscriptionOptionsAndIdentifiers() {
    Mqtt5BlockingClient c = v5connected("opts");
    var got = c.publishes(MqttGlobalPublishFilter.ALL);
    c.subscribeWith().topicFilter("opt/local").noLocal(true).qos(MqttQos.AT_LEAST_ONCE).send();
    c.subscribeWith().topicFilter("opt/rap").retainAsPublished(true).qos(MqttQos.AT_LEAST_ONCE).send();
    publish(c, "opt/local", "mine", MqttQos.AT_LEAST_ONCE, false);
    publish(c, "opt/rap", "kept-flag", MqttQos.AT_LEAST_ONCE, true);

    Mqtt5Publish p = receive(got);
    assertThat(text(p)).isEqualTo("kept-flag");
    assertThat(p.isRetain()).isTrue();
    assertThat(next(got, 300)).isEmpty();

    Mqtt5BlockingClient late = v5connected("opts-late");
    var lateGot = late.publishes(MqttGlobalPublishFilter.ALL);
    late.subscribeWith().topicFilter("opt/rap").retainHandling(Mqtt5RetainHandling.DO_NOT_SEND)
        .qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(next(lateGot, 500)).isEmpty();
  }

  @Test
  void anEmptyClientIdIsAssignedOne() {
    Mqtt5BlockingClient c = Mqtt5Client.builder().serverHost("127.0.0.1").serverPort(node.mqttPort).buildBlocking();
    Mqtt5ConnAck ack = c.connect();
    assertThat(ack.getAssignedClientIdentifier()).isPresent();
    assertThat(ack.getAssignedClientIdentifier().get().toString()).startsWith("auto-");
    c.disconnect();
  }

  @Test
  void anExpiredMessageIsNotDeliveredToAReturningSession() {
    Mqtt5BlockingClient c = v5("expiring");
    c.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
    c.subscribeWith().topicFilter("exp/#").qos(MqttQos.AT_LEAST_ONCE).send();
    // the node must have taken the session off the connection first: a message published before
    // that goes in flight to the closing connection, and one in flight is sent again, expired or not
    double connected = node.metric("center_mqtt_broker_clients");
    c.disconnect();
    io.falconmind.center.it.Eventually.until(java.time.Duration.ofSeconds(20), "the node to notice the disconnect",
        () -> node.metric("center_mqtt_broker_clients"), n -> n <= connected - 1);
    Mqtt5BlockingClient pub = v5connected("exp-pub");
    pub.publishWith().topic("exp/short").payload("gone".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
        .messageExpiryInterval(1).send();
    pub.publishWith().topic("exp/long").payload("kept".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
        .messageExpiryInterval(600).send();
    long expired = System.currentTimeMillis() + 1_100;
    io.falconmind.center.it.Eventually.until(java.time.Duration.ofSeconds(5), "the short expiry to pass",
        System::currentTimeMillis, now -> now > expired);

    Mqtt5BlockingClient back = v5("expiring");
    var got = back.publishes(MqttGlobalPublishFilter.ALL);
    back.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
    Mqtt5Publish p = receive(got);
    assertThat(text(p)).isEqualTo("kept");
    assertThat(p.getMessageExpiryInterval().orElseThrow()).isBetween(590L, 600L);
    assertThat(next(got, 300)).isEmpty();
  }

  // ---- users, ACL, limits -------------------------------------------------------------------

  @Test
  void usersAuthenticateAndTheAclLimitsThem() {
    Mqtt5BlockingClient bad = Mqtt5Client.builder().identifier("alice-bad").serverHost("127.0.0.1")
        .serverPort(node.mqttPort).buildBlocking();
    assertThatThrownBy(() -> bad.connectWith().simpleAuth().username("alice")
        .password("nope".getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send())
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e ->
            assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));

    Mqtt5BlockingClient alice = v5("alice-1");
    alice.connectWith().simpleAuth().username("alice").password("wonder".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
    var got = alice.publishes(MqttGlobalPublishFilter.ALL);
    alice.subscribeWith().topicFilter("alice/#").qos(MqttQos.AT_LEAST_ONCE).send();
    publish(alice, "alice/notes", "mine", MqttQos.AT_LEAST_ONCE, false);
    assertThat(text(receive(got))).isEqualTo("mine");

    assertThatThrownBy(() -> publish(alice, "bob/notes", "not mine", MqttQos.AT_LEAST_ONCE, false))
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e ->
            assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> alice.subscribeWith().topicFilter("bob/#").qos(MqttQos.AT_LEAST_ONCE).send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e ->
            assertThat(e.getMqttMessage().getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    // read-only grant: subscribing works, publishing does not
    alice.subscribeWith().topicFilter("public/news").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThatThrownBy(() -> publish(alice, "public/news", "x", MqttQos.AT_LEAST_ONCE, false))
        .isInstanceOf(Mqtt5PubAckException.class);
  }

  @Test
  void aClientOverThePublishRateIsDisconnectedOthersKeepWorking() throws Exception {
    Mqtt5BlockingClient watcher = v5connected("rate-watch");
    var got = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("rate/ok").qos(MqttQos.AT_LEAST_ONCE).send();

    assertThat(Flooder.floodUntilCutOff(node.mqttPort, "flooder", "rate/flood"))
        .isEqualTo(Mqtt5DisconnectReasonCode.MESSAGE_RATE_TOO_HIGH);
    publish(v5connected("rate-ok"), "rate/ok", "still here", MqttQos.AT_LEAST_ONCE, false);
    assertThat(text(receive(got))).isEqualTo("still here");
  }

  @Test
  void aClientStillFloodingWhenCutOffReadsTheReasonCode() throws Exception {
    // it never waits for anything, so it is still sending when the node cuts it off
    assertThat(Flooder.floodBlindlyUntilCutOff(node.mqttPort, "blind-flooder", "rate/blind", 200_000))
        .isEqualTo(Mqtt5DisconnectReasonCode.MESSAGE_RATE_TOO_HIGH);
  }

  @Test
  void qos0ForAClientThatDoesNotReadIsDroppedOthersGetEverything() throws Exception {
    Mqtt5BlockingClient healthy = v5connected("slow-healthy");
    var got = healthy.publishes(MqttGlobalPublishFilter.ALL);
    healthy.subscribeWith().topicFilter("slow/#").qos(MqttQos.AT_MOST_ONCE).send();
    double droppedBefore = node.metric("center_mqtt_broker_messages_dropped_total");
    try (RawSocket stalled = RawSocket.openSmall(node.mqttPort)) {
      stalled.connect311("slow-stalled", null, null);
      stalled.subscribe("slow/#", false);
      // it never reads again: about 11 MB more than its connection and the kernel take, while the
      // client that reads keeps up, never more than ten messages (600 KB) behind
      Mqtt5BlockingClient pub = v5connected("slow-pub");
      byte[] payload = new byte[60_000];
      int[] sent = {0};
      int received = 0;
      while (sent[0] < 190) {
        pub.publishWith().topic("slow/big").payload(payload).send();
        sent[0]++;
        if (sent[0] - received > 10) receiveOne(got, received++, sent[0]);
      }
      // should one batch have taken them all to the stalled client, the next one finds it behind
      Eventually.until(Duration.ofSeconds(20), "QoS 0 for the stalled client to be dropped", () -> {
        double dropped = node.metric("center_mqtt_broker_messages_dropped_total");
        if (dropped <= droppedBefore) {
          pub.publishWith().topic("slow/big").payload(payload).send();
          sent[0]++;
        }
        return dropped;
      }, d -> d > droppedBefore);
      while (received < sent[0]) receiveOne(got, received++, sent[0]);
    }
  }

  private static void receiveOne(Mqtt5BlockingClient.Mqtt5Publishes got, int index, int sent) throws InterruptedException {
    assertThat(got.receive(20, TimeUnit.SECONDS)).as("message %d of %d for the client that reads", index, sent).isPresent();
  }

  /**
   * QoS 0 messages that waited behind a full inflight window go out at once when it opens: a
   * client that reads gets all of them, however far the burst goes beyond {@code mqtt.maxPendingBytes}
   * (what counts is what the client has not taken of what was sent, not what is written at once).
   */
  @Test
  void aBacklogReleasedAtOnceReachesAClientThatReadsInFull() throws Exception {
    LinkedBlockingQueue<Mqtt5Publish> got = new LinkedBlockingQueue<>();
    var reader = v5("backlog-reader").toAsync();
    reader.connectWith().restrictions().receiveMaximum(1).applyRestrictions().send().get(10, TimeUnit.SECONDS);
    reader.subscribeWith().topicFilter("backlog/#").qos(MqttQos.AT_LEAST_ONCE).callback(got::add)
        .manualAcknowledgement(true).send().get(10, TimeUnit.SECONDS);
    Mqtt5BlockingClient pub = v5connected("backlog-pub");
    double droppedBefore = node.metric("center_mqtt_broker_messages_dropped_total");
    publish(pub, "backlog/gate", "gate", MqttQos.AT_LEAST_ONCE, false);
    Mqtt5Publish gate = got.poll(10, TimeUnit.SECONDS);
    assertThat(gate).isNotNull();
    assertThat(text(gate)).isEqualTo("gate");

    // the window's one place is taken: the next QoS 1 message waits, and what follows waits behind it
    publish(pub, "backlog/second", "second", MqttQos.AT_LEAST_ONCE, false);
    byte[] payload = new byte[60_000];
    int total = 120;
    for (int i = 0; i < total; i++) pub.publishWith().topic("backlog/big").payload(payload).send();
    // acknowledged once it is in the reader's session, and so is everything its publisher sent before
    publish(pub, "backlog/end", "end", MqttQos.AT_LEAST_ONCE, false);
    assertThat(got.poll(300, TimeUnit.MILLISECONDS)).as("anything while the window is full").isNull();

    gate.acknowledge();
    Mqtt5Publish second = got.poll(10, TimeUnit.SECONDS);
    assertThat(second).isNotNull();
    assertThat(text(second)).isEqualTo("second");
    for (int i = 0; i < total; i++) {
      Mqtt5Publish big = got.poll(10, TimeUnit.SECONDS);
      assertThat(big).as("QoS 0 message %d of %d (%.1f MB in all)", i, total, total * 0.06).isNotNull();
      assertThat(big.getTopic()).hasToString("backlog/big");
    }
    second.acknowledge();
    Mqtt5Publish end = got.poll(10, TimeUnit.SECONDS);
    assertThat(end).isNotNull();
    assertThat(text(end)).isEqualTo("end");
    end.acknowledge();
    assertThat(node.metric("center_mqtt_broker_messages_dropped_total")).isEqualTo(droppedBefore);
  }

  // ---- hostile packets ----------------------------------------------------------------------

  @Test
  void hostilePacketsCloseOnlyTheirOwnConnection() throws Exception {
    Mqtt5BlockingClient watcher = v5connected("hostile-watch");
    var got = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("alive/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = v5connected("hostile-pub");

    Map<String, byte[]> corpus = new java.util.LinkedHashMap<>();
    corpus.put("remaining length of five bytes", new byte[] {0x30, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01});
    corpus.put("publish with bad UTF-8 topic", RawSocket.packet(0x30, RawSocket.concat(new byte[] {0, 2, (byte) 0xc3, 0x28}, "x".getBytes())));
    corpus.put("wildcard in a publish topic", RawSocket.packet(0x30, RawSocket.concat(RawSocket.string("a/#"), "x".getBytes())));
    corpus.put("QoS 3 publish", RawSocket.packet(0x36, RawSocket.concat(RawSocket.string("a/b"), new byte[] {0, 1, 'x'})));
    corpus.put("second CONNECT", RawSocket.connectPacket("again"));
    corpus.put("packet above the size limit", RawSocket.packet(0x30, RawSocket.concat(RawSocket.string("big"), new byte[70_000])));
    corpus.put("garbage flood", new byte[200_000]);

    for (Map.Entry<String, byte[]> bad : corpus.entrySet()) {
      try (RawSocket raw = RawSocket.open(node.mqttPort)) {
        raw.connect311("hostile-" + bad.getKey().hashCode(), null, null);
        raw.send(bad.getValue());
        assertThat(raw.closedByServer()).as(bad.getKey() + " closes the connection").isTrue();
      }
      publish(pub, "alive/check", bad.getKey(), MqttQos.AT_LEAST_ONCE, false);
      assertThat(text(receive(got))).as("others keep working after: " + bad.getKey()).isEqualTo(bad.getKey());
    }

    try (RawSocket raw = RawSocket.open(node.mqttPort)) {
      raw.send(RawSocket.packet(0x30, RawSocket.concat(RawSocket.string("a/b"), "before connect".getBytes())));
      assertThat(raw.closedByServer()).as("PUBLISH before CONNECT closes the connection").isTrue();
    }
  }

  // ---- command-line clients -----------------------------------------------------------------

  @Test
  void mosquittoClientsTalkThroughTheBroker() throws Exception {
    Process sub = new ProcessBuilder("mosquitto_sub", "-h", "127.0.0.1", "-p", String.valueOf(node.mqttPort),
        "-t", "cli/#", "-q", "1", "-C", "1", "-W", "10", "-V", "mqttv5").redirectErrorStream(true).start();
    Mqtt5BlockingClient probe = v5connected("cli-probe");
    var probeGot = probe.publishes(MqttGlobalPublishFilter.ALL);
    probe.subscribeWith().topicFilter("cli/#").qos(MqttQos.AT_LEAST_ONCE).send();
    // mosquitto_sub is subscribed once the broker counts two subscriptions on cli/#: publish until it prints
    long deadline = System.currentTimeMillis() + 10_000;
    while (sub.isAlive() && System.currentTimeMillis() < deadline) {
      Process pub = new ProcessBuilder("mosquitto_pub", "-h", "127.0.0.1", "-p", String.valueOf(node.mqttPort),
          "-t", "cli/hello", "-m", "from-mosquitto", "-q", "1", "-V", "mqttv311").redirectErrorStream(true).start();
      assertThat(pub.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(pub.exitValue()).isZero();
      assertThat(text(receive(probeGot))).isEqualTo("from-mosquitto");
      sub.waitFor(200, TimeUnit.MILLISECONDS);
    }
    assertThat(sub.waitFor(10, TimeUnit.SECONDS)).isTrue();
    String out = new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(out).isEqualTo("from-mosquitto");
  }
}
