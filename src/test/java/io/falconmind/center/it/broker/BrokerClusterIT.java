package io.falconmind.center.it.broker;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.falconmind.center.it.Eventually;
import io.falconmind.center.it.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Three clustered nodes in this JVM form one broker: a message published on one node reaches the
 * subscribers of every node exactly once and in order, a shared subscription picks one member
 * across the cluster, retained messages are seen from every node and outlive the node they were
 * published on, a client id that connects on another node takes its session over from there
 * (queued messages included), a persistent session outlives the node that held it, and users,
 * ACL, subscription options, the publish-rate limit and hostile packets behave on every node as on
 * one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
class BrokerClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String ALICE = "alice:" + io.falconmind.center.broker.BrokerAccess.hashPassword("wonder");
  private static BrokerTestCluster cluster;
  private static final List<TestNode> nodes = new ArrayList<>();
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = BrokerTestCluster.start(3, Map.of(
        "mqtt.allowAnonymous", "true",
        "mqtt.users", ALICE,
        "mqtt.acl", "user:alice readwrite %u/#,anonymous readwrite #,all read $SYS/#",
        "mqtt.maxPublishRate", "300"));
    nodes.addAll(cluster.nodes);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  @AfterEach
  void disconnectClients() {
    Mqtt5Clients.disconnectAll(clients);
  }

  private Mqtt5BlockingClient client(TestNode node, String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(node.mqttPort)
        .buildBlocking();
    clients.add(c);
    return c;
  }

  private Mqtt5BlockingClient connected(TestNode node, String id) {
    Mqtt5BlockingClient c = client(node, id);
    c.connectWith().cleanStart(true).send();
    return c;
  }

  /** Subscribes and waits until a probe published on {@code via} reaches it (the route is known everywhere). */
  private static Mqtt5BlockingClient.Mqtt5Publishes subscribed(Mqtt5BlockingClient c, String filter, MqttQos qos) {
    Mqtt5BlockingClient.Mqtt5Publishes publishes = c.publishes(MqttGlobalPublishFilter.ALL);
    c.subscribeWith().topicFilter(filter).qos(qos).send();
    return publishes;
  }

  private static void publish(Mqtt5BlockingClient c, String topic, String payload, MqttQos qos, boolean retain) {
    c.publishWith().topic(topic).payload(payload.getBytes(StandardCharsets.UTF_8)).qos(qos).retain(retain).send();
  }

  private static List<String> receive(Mqtt5BlockingClient.Mqtt5Publishes publishes, int n) {
    List<String> got = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (got.size() < n && System.nanoTime() < deadline) {
      next(publishes, deadline - System.nanoTime()).ifPresent(got::add);
    }
    return got;
  }

  private static Optional<String> next(Mqtt5BlockingClient.Mqtt5Publishes publishes, long nanos) {
    try {
      Optional<Mqtt5Publish> p = publishes.receive(Math.max(1, nanos), TimeUnit.NANOSECONDS);
      return p.map(m -> new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Nothing more arrives within a short quiet period (after everything expected was received). */
  private static void assertNothingMore(Mqtt5BlockingClient.Mqtt5Publishes publishes) {
    assertThat(next(publishes, 500_000_000L)).isEmpty();
  }

  /** Takes what still arrives until a short quiet period passes (probes, a flood's leftovers). */
  private static void drain(Mqtt5BlockingClient.Mqtt5Publishes publishes) {
    while (next(publishes, 300_000_000L).isPresent()) {
      // discard
    }
  }

  /** Publishes probes on {@code topic} from {@code via} until {@code publishes} sees one: the route is in place. */
  private static void awaitRoute(Mqtt5BlockingClient via, String topic, Mqtt5BlockingClient.Mqtt5Publishes publishes) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      publish(via, topic, "probe", MqttQos.AT_MOST_ONCE, false);
      if (next(publishes, 200_000_000L).isPresent()) {
        while (next(publishes, 200_000_000L).isPresent()) {
          // drain later probes
        }
        return;
      }
    }
    throw new AssertionError("no route for " + topic + " within " + WAIT);
  }

  @Test
  @Order(10)
  void aPublishOnOneNodeReachesTheSubscribersOfTheOthersOnceAndInOrder() throws Exception {
    Mqtt5BlockingClient a = connected(nodes.get(0), "fan-a");
    Mqtt5BlockingClient b = connected(nodes.get(1), "fan-b");
    Mqtt5BlockingClient pub = connected(nodes.get(2), "fan-pub");
    var atA = subscribed(a, "sensor/+/temp", MqttQos.AT_LEAST_ONCE);
    var atB = subscribed(b, "sensor/#", MqttQos.EXACTLY_ONCE);
    awaitRoute(pub, "sensor/probe/temp", atA);
    awaitRoute(pub, "sensor/probe/temp", atB);
    drain(atA); // probes of the second wait

    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      sent.add("t" + i);
      publish(pub, "sensor/s1/temp", "t" + i, i % 2 == 0 ? MqttQos.AT_LEAST_ONCE : MqttQos.EXACTLY_ONCE, false);
    }

    assertThat(receive(atA, 50)).containsExactlyElementsOf(sent);
    assertThat(receive(atB, 50)).containsExactlyElementsOf(sent);
    assertNothingMore(atA);
    assertNothingMore(atB);
  }

  @Test
  @Order(20)
  void aSharedSubscriptionGivesEachMessageToOneMemberAcrossTheCluster() throws Exception {
    Mqtt5BlockingClient m1 = connected(nodes.get(0), "worker-1");
    Mqtt5BlockingClient m2 = connected(nodes.get(1), "worker-2");
    Mqtt5BlockingClient pub = connected(nodes.get(2), "jobs-pub");
    var at1 = subscribed(m1, "$share/workers/jobs/#", MqttQos.AT_LEAST_ONCE);
    var at2 = subscribed(m2, "$share/workers/jobs/#", MqttQos.AT_LEAST_ONCE);
    // both members' routes are known on the publishing node once probes reach both
    boolean seen1 = false;
    boolean seen2 = false;
    long until = System.nanoTime() + WAIT.toNanos();
    while (!(seen1 && seen2) && System.nanoTime() < until) {
      publish(pub, "jobs/probe", "probe", MqttQos.AT_MOST_ONCE, false);
      seen1 |= next(at1, 100_000_000L).isPresent();
      seen2 |= next(at2, 100_000_000L).isPresent();
    }
    assertThat(seen1 && seen2).as("both members reached").isTrue();
    while (next(at1, 300_000_000L).isPresent() || next(at2, 300_000_000L).isPresent()) {
      // drain probes
    }

    for (int i = 0; i < 40; i++) publish(pub, "jobs/j" + i, "j" + i, MqttQos.AT_LEAST_ONCE, false);

    List<String> all = new CopyOnWriteArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> got1 = new ArrayList<>();
    List<String> got2 = new ArrayList<>();
    while (all.size() < 40 && System.nanoTime() < deadline) {
      next(at1, 50_000_000L).ifPresent(m -> {
        got1.add(m);
        all.add(m);
      });
      next(at2, 50_000_000L).ifPresent(m -> {
        got2.add(m);
        all.add(m);
      });
    }
    assertThat(all).hasSize(40);
    Set<String> distinct = new HashSet<>(all);
    assertThat(distinct).hasSize(40);
    assertThat(got1).isNotEmpty();
    assertThat(got2).isNotEmpty();
    assertNothingMore(at1);
    assertNothingMore(at2);
  }

  @Test
  @Order(30)
  void aRetainedMessageIsSeenFromEveryNode() throws Exception {
    Mqtt5BlockingClient pub = connected(nodes.get(0), "ret-pub");
    publish(pub, "status/door", "open", MqttQos.AT_LEAST_ONCE, true);
    publish(pub, "status/door", "closed", MqttQos.AT_LEAST_ONCE, true);

    for (int i = 1; i < 3; i++) {
      TestNode node = nodes.get(i);
      String last = Eventually.until(WAIT, "retained on node " + i, () -> {
        Mqtt5BlockingClient c = connected(node, "ret-sub-" + System.nanoTime());
        var publishes = subscribed(c, "status/#", MqttQos.AT_LEAST_ONCE);
        List<String> got = receive(publishes, 1);
        c.disconnect();
        return got.isEmpty() ? null : got.get(0);
      }, "closed"::equals);
      assertThat(last).isEqualTo("closed");
    }
  }

  @Test
  @Order(33)
  void mqtt5PropertiesCrossTheNodesUnchanged() throws Exception {
    Mqtt5BlockingClient sub = connected(nodes.get(1), "props-sub");
    var got = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("req/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(nodes.get(0), "props-pub");
    awaitRoute(pub, "req/probe", got);

    pub.publishWith().topic("req/x").payload("{\"a\":1}".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
        .contentType("application/json").responseTopic("resp/props-pub").correlationData("c-42".getBytes(StandardCharsets.UTF_8))
        .payloadFormatIndicator(com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator.UTF_8)
        .messageExpiryInterval(120)
        .userProperties().add("k1", "v1").add("k2", "v2").applyUserProperties().send();

    Mqtt5Publish m = got.receive(WAIT.toSeconds(), TimeUnit.SECONDS).orElseThrow();
    assertThat(new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
    assertThat(m.getContentType().map(Object::toString)).contains("application/json");
    assertThat(m.getResponseTopic().map(Object::toString)).contains("resp/props-pub");
    assertThat(m.getCorrelationData().map(b -> StandardCharsets.UTF_8.decode(b).toString())).contains("c-42");
    assertThat(m.getPayloadFormatIndicator()).contains(com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(m.getMessageExpiryInterval().orElseThrow()).isBetween(110L, 120L);
    assertThat(m.getUserProperties().asList()).extracting(p -> p.getName() + "=" + p.getValue())
        .containsExactly("k1=v1", "k2=v2");
  }

  @Test
  @Order(35)
  void aWillPublishedOnOneNodeReachesSubscribersOnTheOthers() throws Exception {
    Mqtt5BlockingClient watcher = connected(nodes.get(2), "will-watch");
    var wills = subscribed(watcher, "wills/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient probe = connected(nodes.get(0), "will-probe");
    awaitRoute(probe, "wills/probe", wills);
    Mqtt5BlockingClient dying = client(nodes.get(0), "dying");
    dying.connectWith().cleanStart(true).willPublish().topic("wills/dying").payload("gone".getBytes(StandardCharsets.UTF_8))
        .qos(MqttQos.AT_LEAST_ONCE).applyWillPublish().send();
    // a DISCONNECT asking for the will: it is published as if the connection had been lost
    dying.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();

    assertThat(receive(wills, 1)).containsExactly("gone");
  }

  @Test
  @Order(36)
  void usersAndTheAclHoldOnEveryNode() {
    for (TestNode node : nodes) {
      Mqtt5BlockingClient bad = client(node, "alice-bad-" + node.mqttPort);
      assertThatThrownBy(() -> bad.connectWith().simpleAuth().username("alice")
          .password("nope".getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send())
          .isInstanceOfSatisfying(com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException.class, e ->
              assertThat(e.getMqttMessage().getReasonCode())
                  .isEqualTo(com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
      Mqtt5BlockingClient alice = client(node, "alice-" + node.mqttPort);
      alice.connectWith().simpleAuth().username("alice").password("wonder".getBytes(StandardCharsets.UTF_8))
          .applySimpleAuth().send();
      assertThatThrownBy(() -> publish(alice, "bob/x", "no", MqttQos.AT_LEAST_ONCE, false))
          .isInstanceOfSatisfying(com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException.class, e ->
              assertThat(e.getMqttMessage().getReasonCode())
                  .isEqualTo(com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
      assertThatThrownBy(() -> alice.subscribeWith().topicFilter("bob/#").qos(MqttQos.AT_LEAST_ONCE).send())
          .isInstanceOf(com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException.class);
    }
    // and what alice may write reaches her on another node
    Mqtt5BlockingClient reader = client(nodes.get(0), "alice-reader");
    reader.connectWith().simpleAuth().username("alice").password("wonder".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
    var got = subscribed(reader, "alice/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient writer = client(nodes.get(2), "alice-writer");
    writer.connectWith().simpleAuth().username("alice").password("wonder".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
    awaitRoute(writer, "alice/probe", got);
    publish(writer, "alice/note", "hers", MqttQos.AT_LEAST_ONCE, false);
    assertThat(receive(got, 1)).containsExactly("hers");
  }

  @Test
  @Order(37)
  void subscriptionOptionsHoldAcrossNodes() {
    Mqtt5BlockingClient pub = connected(nodes.get(0), "opt-pub");
    publish(pub, "opt/retained", "r", MqttQos.AT_LEAST_ONCE, true);
    Eventually.until(WAIT, "retained known on node 1", () -> {
      Mqtt5BlockingClient c = connected(nodes.get(1), "opt-check-" + System.nanoTime());
      List<String> got = receive(subscribed(c, "opt/retained", MqttQos.AT_LEAST_ONCE), 1);
      c.disconnect();
      return got;
    }, got -> got.contains("r"));

    Mqtt5BlockingClient none = connected(nodes.get(1), "opt-none");
    var noneGot = none.publishes(MqttGlobalPublishFilter.ALL);
    none.subscribeWith().topicFilter("opt/retained")
        .retainHandling(com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling.DO_NOT_SEND)
        .qos(MqttQos.AT_LEAST_ONCE).send();
    assertNothingMore(noneGot);

    Mqtt5BlockingClient self = connected(nodes.get(2), "opt-self");
    var selfGot = self.publishes(MqttGlobalPublishFilter.ALL);
    self.subscribeWith().topicFilter("opt/chat").noLocal(true).qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient other = connected(nodes.get(1), "opt-other");
    var otherGot = subscribed(other, "opt/chat", MqttQos.AT_LEAST_ONCE);
    awaitRoute(pub, "opt/chat", otherGot);
    awaitRoute(pub, "opt/chat", selfGot);
    drain(otherGot); // probes of the second wait
    publish(self, "opt/chat", "from-self", MqttQos.AT_LEAST_ONCE, false);
    assertThat(receive(otherGot, 1)).containsExactly("from-self");
    assertNothingMore(selfGot);
  }

  @Test
  @Order(38)
  void aFloodingOrHostileClientOnOneNodeDisturbsNoOneElse() throws Exception {
    Mqtt5BlockingClient watcher = connected(nodes.get(1), "calm-watch");
    var calm = subscribed(watcher, "calm/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = connected(nodes.get(2), "calm-pub");
    awaitRoute(pub, "calm/probe", calm);

    assertThat(Flooder.floodUntilCutOff(nodes.get(0).mqttPort, "flooder", "calm/flood"))
        .isEqualTo(Mqtt5DisconnectReasonCode.MESSAGE_RATE_TOO_HIGH);
    // drain what the flooder got through before it was cut off
    drain(calm); // flood messages

    byte[][] hostile = {
        {0x30, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01},
        RawSocket.packet(0x30, RawSocket.concat(RawSocket.string("a/#"), "x".getBytes(StandardCharsets.UTF_8))),
        RawSocket.packet(0x36, RawSocket.concat(RawSocket.string("a/b"), new byte[] {0, 1, 'x'})),
        RawSocket.connectPacket("again"),
    };
    for (byte[] bad : hostile) {
      try (RawSocket raw = RawSocket.open(nodes.get(0).mqttPort)) {
        raw.connect311("hostile-" + System.nanoTime(), null, null);
        raw.send(bad);
        assertThat(raw.closedByServer()).isTrue();
      }
    }

    publish(pub, "calm/after", "still fine", MqttQos.AT_LEAST_ONCE, false);
    assertThat(receive(calm, 1)).containsExactly("still fine");
  }

  @Test
  @Order(40)
  void aClientConnectingOnAnotherNodeTakesItsSessionOverWithTheMessagesQueuedForIt() throws Exception {
    Mqtt5BlockingClient first = client(nodes.get(0), "mover");
    first.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    first.subscribeWith().topicFilter("moves/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(nodes.get(1), "mover-pub");
    var own = subscribed(connected(nodes.get(1), "mover-watch"), "moves/#", MqttQos.AT_LEAST_ONCE);
    awaitRoute(pub, "moves/probe", own);
    // the mover's route (node 0) is in place once a probe reaches it too
    var firstGets = first.publishes(MqttGlobalPublishFilter.ALL);
    awaitRoute(pub, "moves/probe", firstGets);
    first.disconnect();
    drain(own); // probes

    for (int i = 0; i < 3; i++) publish(pub, "moves/m" + i, "m" + i, MqttQos.AT_LEAST_ONCE, false);
    assertThat(receive(own, 3)).containsExactly("m0", "m1", "m2");

    Mqtt5BlockingClient again = client(nodes.get(2), "mover");
    var back = again.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt5ConnAck ack = again.connectWith().cleanStart(false).sessionExpiryInterval(300).send();

    assertThat(ack.isSessionPresent()).isTrue();
    assertThat(receive(back, 3)).containsExactly("m0", "m1", "m2");
    // and the subscription moved with it: new messages now reach it on its new node
    publish(pub, "moves/m3", "m3", MqttQos.AT_LEAST_ONCE, false);
    assertThat(receive(back, 1)).containsExactly("m3");
  }

  @Test
  @Order(39)
  void aSessionMovingFromNodeToNodeWhileMessagesFlowLosesNoneAndKeepsTheirOrder() throws Exception {
    int total = 250;
    Set<String> received = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // each message's first arrival, in arrival order (a QoS 1 message may come again after a move)
    List<Integer> firstArrivals = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(20);
    java.util.function.Consumer<Mqtt5Publish> collect = p -> {
      String t = new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
      if (t.equals("probe")) {
        received.add(t);
      } else if (received.add(t)) {
        firstArrivals.add(Integer.parseInt(t.substring(1)));
        window.release();
      }
    };
    java.util.function.BiFunction<Integer, Boolean, com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient> connectOn = (node, clean) -> {
      var c = Mqtt5Client.builder().identifier("roamer").serverHost("127.0.0.1").serverPort(nodes.get(node).mqttPort)
          .buildAsync();
      c.publishes(MqttGlobalPublishFilter.ALL, collect);
      c.connectWith().cleanStart(clean).sessionExpiryInterval(300).send().join();
      return c;
    };
    var roamer = connectOn.apply(0, true);
    roamer.subscribeWith().topicFilter("roam/#").qos(MqttQos.AT_LEAST_ONCE).send().join();
    Mqtt5BlockingClient pub = connected(nodes.get(2), "roam-pub");
    Eventually.until(WAIT, "the roamer's route known on the publisher's node", () -> {
      publish(pub, "roam/probe", "probe", MqttQos.AT_MOST_ONCE, false);
      return received.contains("probe");
    }, seen -> seen);

    // at most 20 messages ahead of what the roamer has seen, so some are always on their way as it moves
    CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < total; i++) {
        try {
          if (!window.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS)) throw new AssertionError("roamer stalled at " + i);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        publish(pub, "roam/m", "r" + i, MqttQos.AT_LEAST_ONCE, false);
      }
    });
    for (int move = 1; move <= 6; move++) {
      int seen = move * 30;
      Eventually.until(WAIT, "roamer has " + seen, received::size, n -> n > seen);
      roamer.disconnect().join();
      roamer = connectOn.apply(move % 2, false);
    }
    publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    Eventually.until(WAIT, "every message reached the roamer", received::size, n -> n == total + 1);
    roamer.disconnect().join();
    synchronized (firstArrivals) {
      assertThat(firstArrivals).as("the publisher's order, across six moves").isSorted();
    }
  }

  @Test
  @Order(41)
  void aPersistentMqtt311SessionMovesToAnotherNodeWithItsQueuedMessages() throws Exception {
    org.eclipse.paho.client.mqttv3.MqttConnectOptions options = new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
    options.setCleanSession(false);
    java.util.concurrent.LinkedBlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
    org.eclipse.paho.client.mqttv3.MqttClient first = paho(nodes.get(0), got);
    first.connect(options);
    first.subscribe("paho/#", 2);
    Mqtt5BlockingClient pub = connected(nodes.get(2), "paho-pub");
    Eventually.until(WAIT, "the route of the Paho session", () -> {
      publish(pub, "paho/probe", "probe", MqttQos.AT_MOST_ONCE, false);
      return got.poll(200, TimeUnit.MILLISECONDS);
    }, java.util.Objects::nonNull);
    first.disconnect();
    first.close();
    got.clear();

    publish(pub, "paho/1", "p1", MqttQos.AT_LEAST_ONCE, false);
    publish(pub, "paho/2", "p2", MqttQos.EXACTLY_ONCE, false);
    org.eclipse.paho.client.mqttv3.MqttClient again = paho(nodes.get(1), got);
    again.connect(options);

    assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("p1");
    assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("p2");
    again.disconnect();
    again.close();
  }

  private static org.eclipse.paho.client.mqttv3.MqttClient paho(TestNode node,
      java.util.concurrent.BlockingQueue<String> got) throws Exception {
    org.eclipse.paho.client.mqttv3.MqttClient c = new org.eclipse.paho.client.mqttv3.MqttClient(
        "tcp://127.0.0.1:" + node.mqttPort, "paho-mover", new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    c.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
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
    return c;
  }

  @Test
  @Order(42)
  void aWillDelayIsCancelledByAReconnectOnAnotherNode() {
    Mqtt5BlockingClient watcher = connected(nodes.get(2), "delay-watch");
    var wills = subscribed(watcher, "late/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient probe = connected(nodes.get(0), "delay-probe");
    awaitRoute(probe, "late/probe", wills);

    Mqtt5BlockingClient c = client(nodes.get(0), "delay-mover");
    c.connectWith().cleanStart(true).sessionExpiryInterval(60).willPublish().topic("late/will")
        .payload("late".getBytes(StandardCharsets.UTF_8)).delayInterval(2).applyWillPublish().send();
    c.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
    Mqtt5ConnAck ack = client(nodes.get(1), "delay-mover").connectWith().cleanStart(false).sessionExpiryInterval(60).send();

    assertThat(ack.isSessionPresent()).isTrue();
    assertThat(next(wills, 3_500_000_000L)).isEmpty();
  }

  @Test
  @Order(43)
  void anExpiredMessageIsNotDeliveredWhenTheSessionComesBackElsewhere() {
    Mqtt5BlockingClient away = client(nodes.get(0), "exp-mover");
    away.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
    var awayGot = subscribed(away, "expire/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = connected(nodes.get(1), "exp-pub");
    awaitRoute(pub, "expire/probe", awayGot);
    away.disconnect();

    pub.publishWith().topic("expire/short").payload("gone".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
        .messageExpiryInterval(1).send();
    pub.publishWith().topic("expire/long").payload("kept".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
        .messageExpiryInterval(600).send();
    long expired = System.currentTimeMillis() + 1_100;
    Eventually.until(WAIT, "the short expiry to pass", System::currentTimeMillis, now -> now > expired);

    Mqtt5BlockingClient back = client(nodes.get(2), "exp-mover");
    var got = back.publishes(MqttGlobalPublishFilter.ALL);
    back.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
    assertThat(receive(got, 1)).containsExactly("kept");
    assertNothingMore(got);
  }

  @Test
  @Order(44)
  void anMqtt5PublisherBeyondTheReceiveMaximumIsDisconnectedWith0x93AndNoOneElseIsDisturbed() throws Exception {
    Mqtt5BlockingClient watcher = connected(nodes.get(0), "rm-watch");
    var got = subscribed(watcher, "rm/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = connected(nodes.get(1), "rm-pub");
    awaitRoute(pub, "rm/probe", got);

    try (RawSocket raw = RawSocket.open(nodes.get(1).mqttPort)) {
      raw.connect5("rm-greedy");
      // the node's Receive Maximum is mqtt.maxInflight (64); each of these is forwarded to node 0,
      // so none is acknowledged while the burst is read
      byte[] burst = new byte[0];
      for (int id = 1; id <= 100; id++) burst = RawSocket.concat(burst, RawSocket.publishQos1("rm/greedy", id, "g", true));
      raw.send(burst);
      assertThat(raw.disconnectReason()).isEqualTo(0x93);
    }
    drain(got); // what the greedy client got in before it was cut off
    publish(pub, "rm/after", "still fine", MqttQos.AT_LEAST_ONCE, false);
    assertThat(receive(got, 1)).containsExactly("still fine");
  }

  @Test
  @Order(45)
  void a311PublisherSendingWithoutWaitingIsHeldBackAndEverythingIsAcknowledgedAndDeliveredInOrder() throws Exception {
    int total = 250;
    Mqtt5BlockingClient sub = client(nodes.get(0), "hold-sub");
    sub.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    var got = subscribed(sub, "hold/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient probe = connected(nodes.get(1), "hold-probe");
    awaitRoute(probe, "hold/probe", got);
    double pausedBefore = nodes.get(1).metric("center_mqtt_broker_publishers_paused_total");

    List<Integer> acked = new ArrayList<>();
    try (RawSocket raw = RawSocket.open(nodes.get(1).mqttPort)) {
      raw.connect311("hold-pub", null, null);
      // 3.1.1 has no Receive Maximum: the node stops reading this client while 64 (mqtt.maxInflight)
      // of its publications are not yet safe (forwarded to node 0 and written to the session store)
      byte[] burst = new byte[0];
      for (int id = 1; id <= total; id++) {
        burst = RawSocket.concat(burst, RawSocket.publishQos1("hold/m", id, "m" + id, false));
      }
      raw.send(burst);
      for (int i = 0; i < total; i++) acked.add(raw.pubackId());
    }

    List<Integer> expected = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    for (int id = 1; id <= total; id++) {
      expected.add(id);
      messages.add("m" + id);
    }
    assertThat(acked).as("PUBACKs in the order of the publications").isEqualTo(expected);
    assertThat(receive(got, total)).as("delivered once each, in order").isEqualTo(messages);
    assertNothingMore(got);
    assertThat(nodes.get(1).metric("center_mqtt_broker_publishers_paused_total")).as("the publisher was held back")
        .isGreaterThan(pausedBefore);
  }

  @Test
  @Order(50)
  void theSameClientIdOnAnotherNodeClosesTheOldConnectionWithSessionTakenOver() throws Exception {
    CompletableFuture<Mqtt5DisconnectReasonCode> reason = new CompletableFuture<>();
    Mqtt5BlockingClient old = Mqtt5Client.builder().identifier("twin").serverHost("127.0.0.1")
        .serverPort(nodes.get(0).mqttPort)
        .addDisconnectedListener(ctx -> {
          if (ctx.getSource() == MqttDisconnectSource.SERVER && ctx.getCause() instanceof Mqtt5DisconnectException d) {
            reason.complete(d.getMqttMessage().getReasonCode());
          }
        })
        .buildBlocking();
    clients.add(old);
    old.connect();

    connected(nodes.get(1), "twin");

    assertThat(reason.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
  }

  @Test
  @Order(60)
  void retainedMessagesOutliveTheNodeTheyWerePublishedOn() throws Exception {
    Mqtt5BlockingClient pub = connected(nodes.get(0), "keep-pub");
    publish(pub, "keep/me", "kept", MqttQos.AT_LEAST_ONCE, true);
    Eventually.until(WAIT, "retained replicated", () -> {
      Mqtt5BlockingClient c = connected(nodes.get(2), "keep-check-" + System.nanoTime());
      List<String> got = receive(subscribed(c, "keep/#", MqttQos.AT_LEAST_ONCE), 1);
      c.disconnect();
      return got;
    }, got -> got.contains("kept"));

    nodes.get(0).close();

    String seen = Eventually.until(WAIT, "retained after the node left", () -> {
      Mqtt5BlockingClient c = connected(nodes.get(1), "keep-after-" + System.nanoTime());
      List<String> got = receive(subscribed(c, "keep/#", MqttQos.AT_LEAST_ONCE), 1);
      c.disconnect();
      return got.isEmpty() ? null : got.get(0);
    }, "kept"::equals);
    assertThat(seen).isEqualTo("kept");
  }

  @Test
  @Order(70)
  void aPersistentSessionOutlivesItsNodeWithTheMessagesQueuedForIt() throws Exception {
    TestNode holder = nodes.get(1);
    TestNode survivor = nodes.get(2);
    Mqtt5BlockingClient keeper = client(holder, "keeper");
    keeper.connectWith().cleanStart(true).sessionExpiryInterval(600).send();
    var gets = keeper.publishes(MqttGlobalPublishFilter.ALL);
    keeper.subscribeWith().topicFilter("orphan/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(survivor, "orphan-pub");
    awaitRoute(pub, "orphan/probe", gets);
    keeper.disconnect();

    publish(pub, "orphan/o0", "o0", MqttQos.AT_LEAST_ONCE, false);
    publish(pub, "orphan/o1", "o1", MqttQos.AT_LEAST_ONCE, false);
    // kept in the cluster's session store with what waits for it (stored each second while away)
    var store = ((io.vertx.spi.cluster.hazelcast.HazelcastClusterManager) survivor.node.clusterManager())
        .getHazelcastInstance().<String, byte[]>getMap("center.mqtt.sessions");
    Eventually.until(WAIT, "the session stored with its two messages", () -> store.get("keeper"),
        bytes -> bytes != null && new String(bytes, StandardCharsets.ISO_8859_1).contains("o1"));

    // messages keep coming, 200 a second, while the node goes away: each acknowledged one must reach the session
    List<String> acknowledged = new CopyOnWriteArrayList<>();
    var publishing = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    int[] next = {0};
    publishing.scheduleAtFixedRate(() -> {
      String text = "f" + next[0]++;
      publish(pub, "orphan/f", text, MqttQos.AT_LEAST_ONCE, false);
      acknowledged.add(text);
    }, 0, 5, TimeUnit.MILLISECONDS);
    holder.close();
    int atClose = next[0];
    Eventually.until(WAIT, "publishing past the node's departure", () -> next[0], n -> n > atClose + 100);
    publishing.shutdown();
    assertThat(publishing.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    // once the cluster has seen the node go, the survivor holds the session and queues for it
    var owners = ((io.vertx.spi.cluster.hazelcast.HazelcastClusterManager) survivor.node.clusterManager())
        .getHazelcastInstance().<String, String>getMap("center.mqtt.clients");
    Eventually.until(WAIT, "the session taken on by the survivor", () -> owners.get("keeper"),
        owner -> owner != null && owner.startsWith("bk-2"));
    publish(pub, "orphan/o2", "o2", MqttQos.AT_LEAST_ONCE, false);

    Mqtt5BlockingClient back = client(survivor, "keeper");
    var again = back.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt5ConnAck ack = back.connectWith().cleanStart(false).sessionExpiryInterval(600).send();
    assertThat(ack.isSessionPresent()).isTrue();
    List<String> expected = new ArrayList<>(List.of("o0", "o1"));
    expected.addAll(acknowledged);
    expected.add("o2");
    List<String> got = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!seen.containsAll(expected) && System.nanoTime() < deadline) {
      next(again, deadline - System.nanoTime()).ifPresent(t -> {
        got.add(t);
        seen.add(t);
      });
    }
    assertThat(seen).as("every acknowledged message, %d published while the node left", acknowledged.size())
        .containsAll(expected);
    assertThat(got.subList(0, 2)).containsExactly("o0", "o1");
  }
}
