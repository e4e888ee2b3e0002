package io.falconmind.center.it.broker;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.falconmind.center.it.Eventually;
import io.falconmind.center.it.TestNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.falconmind.center.it.broker.Mqtt5Clients.next;
import static io.falconmind.center.it.broker.Mqtt5Clients.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker's per-connection paths and limits, between clients on a subscriber's node, a
 * publisher's node and a third node: the same node in {@link BrokerLimitsIT}, three nodes in
 * {@link BrokerLimitsClusterIT}. WebSocket and TLS clients, topic aliases, the inflight window
 * (client receive maximum and {@code mqtt.maxInflight}), the client's maximum packet size, the
 * server's packet-size limit, the queue of an absent session, a subscriber that lags behind its
 * publisher, the connection limit, server keep-alive and assigned client identifiers.
 */
abstract class BrokerLimitsChecks {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerLimitsChecks.class);

  static final Duration WAIT = Duration.ofSeconds(20);
  static final int MAX_CONNECTIONS = 6;
  static final int MAX_INFLIGHT = 3;
  static final int MAX_QUEUED = 5;
  static final int KEEP_ALIVE = 30;
  static final int ALIAS_MAX = 4;
  static final int MAX_PACKET = 8192;
  /** The broker clients connected to a node, on its /metrics. */
  private static final String CLIENTS_GAUGE = "center_mqtt_broker_clients";
  private static final String DROPPED = "center_mqtt_broker_messages_dropped_total";
  private static final String HELD = "center_mqtt_broker_publications_held_total";

  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  /** Where the subscribers of a check connect. */
  abstract TestNode subscriberNode();

  /** Where the publishers of a check connect. */
  abstract TestNode publisherNode();

  /** A node with neither. */
  abstract TestNode thirdNode();

  abstract int tlsPort(TestNode node);

  abstract String certificatePath();

  /** The limits under test, for every node; {@code tlsPort} and the certificate are the node's. */
  static Map<String, String> settings(int tlsPort, String certificatePath, String keyPath) {
    Map<String, String> s = new HashMap<>();
    s.put("mqtt.allowAnonymous", "true");
    s.put("mqtt.maxConnections", String.valueOf(MAX_CONNECTIONS));
    s.put("mqtt.maxInflight", String.valueOf(MAX_INFLIGHT));
    s.put("mqtt.maxQueuedMessages", String.valueOf(MAX_QUEUED));
    s.put("mqtt.serverKeepAliveSec", String.valueOf(KEEP_ALIVE));
    s.put("mqtt.topicAliasMaximum", String.valueOf(ALIAS_MAX));
    s.put("mqtt.maxMessageBytes", String.valueOf(MAX_PACKET / 2));
    s.put("mqtt.maxPacketBytes", String.valueOf(MAX_PACKET));
    s.put("mqtt.tlsPort", String.valueOf(tlsPort));
    s.put("mqtt.tlsCertPath", certificatePath);
    s.put("mqtt.tlsKeyPath", keyPath);
    return s;
  }

  @AfterEach
  void disconnectClients() {
    Mqtt5Clients.disconnectAll(clients);
  }

  // ---- clients ------------------------------------------------------------------------------

  private Mqtt5BlockingClient track(Mqtt5BlockingClient c) {
    clients.add(c);
    return c;
  }

  private static Mqtt5ClientBuilder tcp(TestNode node, String id) {
    // why a client's connection ended, in the log: a check that waits in vain then says whether it was lost
    return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(node.mqttPort)
        .addDisconnectedListener(ctx -> LOG.info("client {} disconnected ({}): {}", id, ctx.getSource(),
            ctx.getCause().toString()));
  }

  private Mqtt5BlockingClient connected(TestNode node, String id) {
    Mqtt5BlockingClient c = track(tcp(node, id).buildBlocking());
    c.connect();
    return c;
  }

  private static void publish(Mqtt5BlockingClient c, String topic, String payload, MqttQos qos) {
    c.publishWith().topic(topic).payload(payload.getBytes(StandardCharsets.UTF_8)).qos(qos).send();
  }

  /** The next message that is not a route probe. */
  private static Mqtt5Publish receive(Mqtt5BlockingClient.Mqtt5Publishes publishes) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Mqtt5Publish> p = next(publishes, Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (p.isPresent() && !text(p.get()).equals("probe")) return p.get();
    }
    throw new AssertionError("nothing received within " + WAIT);
  }

  private static Mqtt5Publish take(BlockingQueue<Mqtt5Publish> queue) throws InterruptedException {
    Mqtt5Publish p = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (p == null) throw new AssertionError("nothing received within " + WAIT);
    return p;
  }

  /**
   * Publishes probes on {@code topic} from {@code via} until {@code arrived} reports one: the
   * subscription's route is known on the publisher's node.
   */
  private static void awaitRoute(Mqtt5BlockingClient via, String topic, java.util.function.LongPredicate arrived) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      publish(via, topic, "probe", MqttQos.AT_MOST_ONCE);
      if (arrived.test(200)) return;
    }
    throw new AssertionError("no route for " + topic + " within " + WAIT);
  }

  private static void awaitRoute(Mqtt5BlockingClient via, String topic, Mqtt5BlockingClient.Mqtt5Publishes publishes) {
    awaitRoute(via, topic, millis -> next(publishes, millis).isPresent());
  }

  static TrustManagerFactory trusting(String pemPath) throws Exception {
    Certificate cert;
    try (InputStream in = new FileInputStream(pemPath)) {
      cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry("node", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    return tmf;
  }

  // ---- transports ---------------------------------------------------------------------------

  @Test
  void webSocketTlsAndTcpClientsReachEachOther() throws Exception {
    Mqtt5BlockingClient ws = track(Mqtt5Client.builder().identifier("lim-ws").serverHost("127.0.0.1")
        .serverPort(subscriberNode().httpPort).webSocketConfig().serverPath("mqtt").applyWebSocketConfig().buildBlocking());
    ws.connect();
    var atWs = ws.publishes(MqttGlobalPublishFilter.ALL);
    ws.subscribeWith().topicFilter("lim/ws/#").qos(MqttQos.EXACTLY_ONCE).send();
    Mqtt5BlockingClient tls = track(Mqtt5Client.builder().identifier("lim-tls").serverHost("localhost")
        .serverPort(tlsPort(publisherNode()))
        .sslConfig(MqttClientSslConfig.builder().trustManagerFactory(trusting(certificatePath())).build())
        .buildBlocking());
    tls.connect();
    var atTls = tls.publishes(MqttGlobalPublishFilter.ALL);
    tls.subscribeWith().topicFilter("lim/tls/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient plain = connected(thirdNode(), "lim-tcp");
    awaitRoute(plain, "lim/ws/probe", atWs);
    awaitRoute(plain, "lim/tls/probe", atTls);
    awaitRoute(tls, "lim/ws/probe", atWs);

    publish(plain, "lim/ws/a", "tcp to ws", MqttQos.EXACTLY_ONCE);
    publish(tls, "lim/ws/b", "tls to ws", MqttQos.AT_LEAST_ONCE);
    publish(ws, "lim/tls/c", "ws to tls", MqttQos.AT_LEAST_ONCE);

    assertThat(text(receive(atWs))).isEqualTo("tcp to ws");
    assertThat(text(receive(atWs))).isEqualTo("tls to ws");
    assertThat(text(receive(atTls))).isEqualTo("ws to tls");
  }

  // ---- topic aliases ------------------------------------------------------------------------

  @Test
  void aPublishersTopicAliasesReachSubscribersAsTopics() throws Exception {
    Mqtt5BlockingClient sub = connected(subscriberNode(), "lim-alias-sub");
    var got = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("alias/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient witness = connected(publisherNode(), "lim-alias-witness");
    awaitRoute(witness, "alias/probe", got);

    try (RawSocket raw = RawSocket.open(publisherNode().mqttPort)) {
      raw.connect5("lim-alias-raw");
      raw.send(RawSocket.publish5WithAlias("alias/a", 1, "one"));
      raw.send(RawSocket.publish5WithAlias("", 1, "two"));
      raw.send(RawSocket.publish5WithAlias("alias/b", 1, "three"));
      raw.send(RawSocket.publish5WithAlias("", 1, "four"));
      for (String[] expected : new String[][] {{"alias/a", "one"}, {"alias/a", "two"}, {"alias/b", "three"},
          {"alias/b", "four"}}) {
        Mqtt5Publish p = receive(got);
        assertThat(p.getTopic().toString() + " " + text(p)).isEqualTo(expected[0] + " " + expected[1]);
      }
      raw.send(RawSocket.publish5WithAlias("alias/c", ALIAS_MAX + 1, "over"));
      assertThat(raw.disconnectReason()).as("an alias above the maximum").isEqualTo(0x94);
    }
    try (RawSocket raw = RawSocket.open(publisherNode().mqttPort)) {
      raw.connect5("lim-alias-unknown");
      raw.send(RawSocket.publish5WithAlias("", 2, "never bound"));
      assertThat(raw.disconnectReason()).as("an alias never bound").isEqualTo(0x82);
    }

    // a client library that maps topics to aliases itself
    Mqtt5BlockingClient hive = track(tcp(publisherNode(), "lim-alias-hive").buildBlocking());
    hive.connectWith().restrictions().sendTopicAliasMaximum(ALIAS_MAX).applyRestrictions().send();
    for (int i = 0; i < 5; i++) publish(hive, "alias/hive", "h" + i, MqttQos.AT_LEAST_ONCE);
    for (int i = 0; i < 5; i++) {
      Mqtt5Publish p = receive(got);
      assertThat(p.getTopic().toString() + " " + text(p)).isEqualTo("alias/hive h" + i);
    }
  }

  // ---- flow control -------------------------------------------------------------------------

  @Test
  void theInflightWindowIsTheSmallerOfTheClientsReceiveMaximumAndMaxInflight() throws Exception {
    BlockingQueue<Mqtt5Publish> small = new LinkedBlockingQueue<>();
    BlockingQueue<Mqtt5Publish> large = new LinkedBlockingQueue<>();
    manualSubscriber("lim-window-2", 2, "window/#", small);
    manualSubscriber("lim-window-max", 0, "window/#", large);
    Mqtt5BlockingClient pub = connected(publisherNode(), "lim-window-pub");
    // probes at QoS 0 are outside the window; both subscribers see one before the count starts
    awaitRoute(pub, "window/probe", millis -> poll(small, millis) != null && poll(large, WAIT.toMillis()) != null);
    drainProbes(small);
    drainProbes(large);

    // seven: what waits behind the window stays within the queue limit
    for (int i = 0; i < 7; i++) publish(pub, "window/m", "m" + i, MqttQos.AT_LEAST_ONCE);

    List<Mqtt5Publish> toSmall = new ArrayList<>(List.of(take(small), take(small)));
    List<Mqtt5Publish> toLarge = new ArrayList<>(List.of(take(large), take(large), take(large)));
    assertThat(small.poll(700, TimeUnit.MILLISECONDS)).as("a third unacknowledged message to receive maximum 2").isNull();
    assertThat(large.poll(300, TimeUnit.MILLISECONDS)).as("a fourth unacknowledged message beyond maxInflight 3").isNull();

    toSmall.get(0).acknowledge();
    toSmall.add(take(small));
    assertThat(small.poll(300, TimeUnit.MILLISECONDS)).as("one acknowledgement opens one place").isNull();
    while (toSmall.size() < 7) {
      toSmall.get(toSmall.size() - 2).acknowledge();
      toSmall.add(take(small));
    }
    while (toLarge.size() < 7) {
      toLarge.get(toLarge.size() - 3).acknowledge();
      toLarge.add(take(large));
    }
    toSmall.subList(5, 7).forEach(Mqtt5Publish::acknowledge);
    toLarge.subList(4, 7).forEach(Mqtt5Publish::acknowledge);
    List<String> expected = List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6");
    assertThat(toSmall.stream().map(Mqtt5Clients::text).toList()).isEqualTo(expected);
    assertThat(toLarge.stream().map(Mqtt5Clients::text).toList()).isEqualTo(expected);
  }

  private static void drainProbes(BlockingQueue<Mqtt5Publish> queue) throws InterruptedException {
    Mqtt5Publish p;
    while ((p = queue.poll(200, TimeUnit.MILLISECONDS)) != null) {
      if (!text(p).equals("probe")) throw new AssertionError("unexpected " + text(p));
    }
  }

  // ---- packet sizes -------------------------------------------------------------------------

  @Test
  void aMessageOverTheSubscribersMaximumPacketSizeIsLeftOutForItAlone() {
    Mqtt5BlockingClient small = track(tcp(subscriberNode(), "lim-packet-small").buildBlocking());
    small.connectWith().restrictions().maximumPacketSize(256).applyRestrictions().send();
    var toSmall = small.publishes(MqttGlobalPublishFilter.ALL);
    small.subscribeWith().topicFilter("size/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient any = connected(thirdNode(), "lim-packet-any");
    var toAny = any.publishes(MqttGlobalPublishFilter.ALL);
    any.subscribeWith().topicFilter("size/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(publisherNode(), "lim-packet-pub");
    awaitRoute(pub, "size/probe", toSmall);
    awaitRoute(pub, "size/probe", toAny);

    publish(pub, "size/a", "small before", MqttQos.AT_LEAST_ONCE);
    publish(pub, "size/b", "x".repeat(1_000), MqttQos.AT_LEAST_ONCE);
    publish(pub, "size/c", "small after", MqttQos.AT_LEAST_ONCE);

    assertThat(text(receive(toSmall))).isEqualTo("small before");
    assertThat(text(receive(toSmall))).isEqualTo("small after");
    assertThat(small.getState().isConnected()).isTrue();
    assertThat(text(receive(toAny))).isEqualTo("small before");
    assertThat(receive(toAny).getPayloadAsBytes()).hasSize(1_000);
    assertThat(text(receive(toAny))).isEqualTo("small after");
  }

  @Test
  void aPacketOverTheServersLimitClosesItsConnectionWithPacketTooLarge() throws Exception {
    Mqtt5BlockingClient sub = track(tcp(subscriberNode(), "lim-big-sub").buildBlocking());
    assertThat(sub.connect().getRestrictions().getMaximumPacketSize()).as("announced in CONNACK").isEqualTo(MAX_PACKET);
    var got = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("big/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(publisherNode(), "lim-big-pub");
    awaitRoute(pub, "big/probe", got);

    try (RawSocket raw = RawSocket.open(publisherNode().mqttPort)) {
      raw.connect5("lim-big-raw");
      raw.send(RawSocket.packet(0x30, RawSocket.concat(RawSocket.string("big/x"), new byte[MAX_PACKET + 100])));
      assertThat(raw.disconnectReason()).as("DISCONNECT reason").isEqualTo(0x95);
    }
    publish(pub, "big/ok", "still here", MqttQos.AT_LEAST_ONCE);
    assertThat(text(receive(got))).isEqualTo("still here");
  }

  // ---- queue of an absent session -----------------------------------------------------------

  @Test
  void anAbsentSessionKeepsAtMostMaxQueuedMessages() {
    Mqtt5BlockingClient keeper = track(tcp(subscriberNode(), "lim-queue").buildBlocking());
    keeper.connectWith().cleanStart(true).sessionExpiryInterval(600).send();
    var probes = keeper.publishes(MqttGlobalPublishFilter.ALL);
    keeper.subscribeWith().topicFilter("queue/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(publisherNode(), "lim-queue-pub");
    awaitRoute(pub, "queue/probe", probes);
    // wait until the node has taken the session off the connection: a message published before
    // that could still go in flight to the old connection, and would be sent again on top of the queue
    double connected = subscriberNode().metric(CLIENTS_GAUGE);
    keeper.disconnect();
    Eventually.until(WAIT, "the node to notice the disconnect", () -> subscriberNode().metric(CLIENTS_GAUGE),
        n -> n <= connected - 1);

    for (int i = 0; i < MAX_QUEUED + 3; i++) publish(pub, "queue/m", "q" + i, MqttQos.AT_LEAST_ONCE);

    // back on the publisher's node: in a cluster, the session moves there with its queue
    Mqtt5BlockingClient back = track(tcp(publisherNode(), "lim-queue").buildBlocking());
    var got = back.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt5ConnAck ack = back.connectWith().cleanStart(false).sessionExpiryInterval(600).send();
    assertThat(ack.isSessionPresent()).isTrue();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < MAX_QUEUED; i++) texts.add(text(receive(got)));
    assertThat(texts).containsExactly("q0", "q1", "q2", "q3", "q4");
    assertThat(next(got, 500)).as("messages beyond the queue limit").isEmpty();
  }

  // ---- a subscriber that lags ----------------------------------------------------------------

  @Test
  void aSubscriberThatLagsHoldsItsQos1PublisherBackAndLosesNothing() throws Exception {
    BlockingQueue<Mqtt5Publish> got = new LinkedBlockingQueue<>();
    manualSubscriber("lim-lag-sub", 1, "lag/#", got);
    Mqtt5BlockingClient publisher = connected(publisherNode(), "lim-lag-pub");
    awaitRoute(publisher, "lag/probe", millis -> poll(got, millis) != null);
    drainProbes(got);
    double dropped = subscriberNode().metric(DROPPED);
    double held = subscriberNode().metric(HELD);

    // far more than the subscriber's window (1) and queue (MAX_QUEUED) take; the publisher keeps
    // within its own window (MAX_INFLIGHT), so what it may send waits for acknowledgements
    int count = 6 * MAX_QUEUED;
    List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>();
    Mqtt5AsyncClient pub = publisher.toAsync();
    for (int i = 0; i < count; i++) {
      acks.add(pub.publishWith().topic("lag/m").payload(("m" + i).getBytes(StandardCharsets.UTF_8))
          .qos(MqttQos.AT_LEAST_ONCE).send());
    }
    Mqtt5Publish first = take(got);
    Eventually.until(WAIT, "the publisher to be held back", () -> subscriberNode().metric(HELD), h -> h > held);
    assertThat(acks.stream().filter(CompletableFuture::isDone).count()).as("publications acknowledged").isLessThan(count);

    // the subscriber reads on, at its own pace: everything arrives, in order
    List<String> texts = new ArrayList<>(List.of(text(first)));
    first.acknowledge();
    while (texts.size() < count) {
      Mqtt5Publish p = take(got);
      texts.add(text(p));
      p.acknowledge();
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < count; i++) expected.add("m" + i);
    assertThat(texts).isEqualTo(expected);
    for (CompletableFuture<Mqtt5PublishResult> ack : acks) {
      assertThat(ack.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).getError()).isEmpty();
    }
    assertThat(subscriberNode().metric(DROPPED)).as("messages dropped").isEqualTo(dropped);
  }

  @Test
  void aSharedSubscriptionPassesOverAMemberThatLags() throws Exception {
    BlockingQueue<Mqtt5Publish> toSlow = new LinkedBlockingQueue<>();
    BlockingQueue<Mqtt5Publish> toFast = new LinkedBlockingQueue<>();
    manualSubscriber("lim-share-slow", 1, "$share/g/share/#", toSlow);
    Mqtt5AsyncClient fast = track(tcp(subscriberNode(), "lim-share-fast").buildBlocking()).toAsync();
    fast.connect().get();
    fast.subscribeWith().topicFilter("$share/g/share/#").qos(MqttQos.AT_LEAST_ONCE).callback(toFast::add).send().get();
    Mqtt5BlockingClient pub = connected(publisherNode(), "lim-share-pub");
    awaitRoute(pub, "share/probe", millis -> poll(toSlow, millis) != null || poll(toFast, 1) != null);
    drainProbes(toSlow);
    drainProbes(toFast);
    double dropped = subscriberNode().metric(DROPPED);
    double held = subscriberNode().metric(HELD);

    // the slow member does not acknowledge yet: once its queue is full, the group passes it over.
    // Paced, so that the fast member keeps up (a group whose members all lag uses any of them)
    int count = 6 * MAX_QUEUED;
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      publish(pub, "share/m", "m" + i, MqttQos.AT_LEAST_ONCE);
      Mqtt5Publish p = poll(toFast, 300);
      if (p != null) texts.add(text(p));
    }

    // everything arrives at one member or the other, the slow one's once it acknowledges
    List<String> slowOnes = new ArrayList<>();
    Eventually.until(WAIT, "every message at one member", () -> {
      for (Mqtt5Publish p; (p = toSlow.poll()) != null; ) {
        slowOnes.add(text(p));
        p.acknowledge();
      }
      for (Mqtt5Publish p; (p = toFast.poll()) != null; ) texts.add(text(p));
      return texts.size() + slowOnes.size();
    }, n -> n >= count);
    texts.addAll(slowOnes);
    assertThat(texts).hasSize(count).doesNotHaveDuplicates();
    assertThat(slowOnes.size()).as("to the member that lags").isLessThanOrEqualTo(1 + MAX_QUEUED);
    assertThat(subscriberNode().metric(HELD)).as("publications held back").isEqualTo(held);
    assertThat(subscriberNode().metric(DROPPED)).as("messages dropped").isEqualTo(dropped);
  }

  /**
   * A client on the subscriber's node with Receive Maximum {@code receiveMaximum} (0: the client's
   * default) that subscribes to {@code filter} at QoS 1 and acknowledges only when the test does.
   */
  private void manualSubscriber(String id, int receiveMaximum, String filter, BlockingQueue<Mqtt5Publish> into)
      throws Exception {
    Mqtt5AsyncClient c = track(tcp(subscriberNode(), id).buildBlocking()).toAsync();
    if (receiveMaximum > 0) c.connectWith().restrictions().receiveMaximum(receiveMaximum).applyRestrictions().send().get();
    else c.connect().get();
    c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).callback(into::add).manualAcknowledgement(true)
        .send().get();
  }

  private static Mqtt5Publish poll(BlockingQueue<Mqtt5Publish> queue, long millis) {
    try {
      return queue.poll(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---- connection limit ---------------------------------------------------------------------

  @Test
  void aConnectionOverTheNodesLimitIsRefusedWithQuotaExceededAndNoOneElseIsDisturbed() {
    Mqtt5BlockingClient sub = connected(subscriberNode(), "lim-conn-sub");
    var got = sub.publishes(MqttGlobalPublishFilter.ALL);
    sub.subscribeWith().topicFilter("conn/#").qos(MqttQos.AT_LEAST_ONCE).send();
    List<Mqtt5BlockingClient> filling = new ArrayList<>();
    Mqtt5ConnAckException refused = null;
    // connections other checks closed may still be counted for a moment: room for a few more tries
    for (int i = 0; i < 2 * MAX_CONNECTIONS && refused == null; i++) {
      Mqtt5BlockingClient c = track(tcp(publisherNode(), "lim-conn-" + i).buildBlocking());
      try {
        c.connect();
        filling.add(c);
      } catch (Mqtt5ConnAckException e) {
        refused = e;
      }
    }
    assertThat(refused).as("a connection beyond " + MAX_CONNECTIONS).isNotNull();
    assertThat(refused.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.QUOTA_EXCEEDED);
    assertThat(filling).isNotEmpty();
    boolean oneNode = thirdNode() == publisherNode();

    Mqtt5BlockingClient pub = filling.get(0);
    awaitRoute(pub, "conn/probe", got);
    publish(pub, "conn/m", "from a full node", MqttQos.AT_LEAST_ONCE);
    assertThat(text(receive(got))).isEqualTo("from a full node");
    if (!oneNode) {
      Mqtt5BlockingClient elsewhere = connected(thirdNode(), "lim-conn-elsewhere");
      publish(elsewhere, "conn/m", "from another node", MqttQos.AT_LEAST_ONCE);
      assertThat(text(receive(got))).isEqualTo("from another node");
    }

    filling.get(filling.size() - 1).disconnect();
    Mqtt5BlockingClient again = Eventually.until(WAIT, "a place freed on the full node", () -> {
      Mqtt5BlockingClient c = track(tcp(publisherNode(), "lim-conn-again").buildBlocking());
      try {
        c.connect();
        return c;
      } catch (Mqtt5ConnAckException stillFull) {
        return null;
      }
    }, c -> c != null);
    assertThat(again.getState().isConnected()).isTrue();
  }

  // ---- CONNACK ------------------------------------------------------------------------------

  @Test
  void theServerKeepAliveBoundsALongerOne() {
    Mqtt5BlockingClient lazy = track(tcp(subscriberNode(), "lim-keepalive").buildBlocking());
    Mqtt5ConnAck ack = lazy.connectWith().keepAlive(600).send();
    assertThat(ack.getServerKeepAlive()).hasValue(KEEP_ALIVE);
    Mqtt5BlockingClient brisk = track(tcp(publisherNode(), "lim-keepalive-brisk").buildBlocking());
    assertThat(brisk.connectWith().keepAlive(10).send().getServerKeepAlive()).isEmpty();
  }

  @Test
  void anAssignedClientIdentifierResumesItsSessionOnTheSameOrAnotherNode() {
    Mqtt5BlockingClient anon = track(Mqtt5Client.builder().serverHost("127.0.0.1").serverPort(subscriberNode().mqttPort)
        .buildBlocking());
    Mqtt5ConnAck ack = anon.connectWith().cleanStart(true).sessionExpiryInterval(600).send();
    assertThat(ack.getAssignedClientIdentifier()).isPresent();
    String id = ack.getAssignedClientIdentifier().get().toString();
    var probes = anon.publishes(MqttGlobalPublishFilter.ALL);
    anon.subscribeWith().topicFilter("assigned/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(publisherNode(), "lim-assigned-pub");
    awaitRoute(pub, "assigned/probe", probes);
    anon.disconnect();

    publish(pub, "assigned/m", "while away", MqttQos.AT_LEAST_ONCE);

    Mqtt5BlockingClient back = track(tcp(publisherNode(), id).buildBlocking());
    var got = back.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt5ConnAck again = back.connectWith().cleanStart(false).sessionExpiryInterval(600).send();
    assertThat(again.isSessionPresent()).isTrue();
    assertThat(again.getAssignedClientIdentifier()).isEmpty();
    assertThat(text(receive(got))).isEqualTo("while away");
  }
}
