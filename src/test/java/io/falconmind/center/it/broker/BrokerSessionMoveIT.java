package io.falconmind.center.it.broker;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientConnectedContext;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.falconmind.center.it.Eventually;
import io.falconmind.center.it.TestNode;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A persistent MQTT 5 session moves back and forth between two nodes of a three-node cluster while
 * three publishers, one on each node, keep sending QoS 1 or QoS 2 messages to it: every acknowledged
 * message reaches it, each publisher's messages first arrive in the order they were published, and
 * at QoS 2 none arrives twice (QoS 1 allows one to arrive again after a move; losing or overtaking
 * one is a defect at either). The roamer is one client throughout, keeping its side of the session
 * as it moves.
 */
@Timeout(120)
class BrokerSessionMoveIT {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerSessionMoveIT.class);
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final long SESSION_EXPIRY_SEC = 300;
  private static final int MOVES = 8;
  private static final int ARRIVALS_BETWEEN_MOVES = 500;
  /** How far a publisher may run ahead of what the roamer has received from it. */
  private static final int AHEAD = 50;
  private static BrokerTestCluster cluster;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = BrokerTestCluster.start(3, Map.of("mqtt.allowAnonymous", "true"));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  @AfterEach
  void disconnectClients() {
    Mqtt5Clients.disconnectAll(clients);
  }

  @ParameterizedTest(name = "QoS {0}")
  @ValueSource(ints = {1, 2})
  void aSessionMovingBackAndForthWhileThreeNodesPublishToItLosesNoneAndKeepsEachPublishersOrder(int level)
      throws Exception {
    MqttQos qos = MqttQos.fromCode(level);
    Map<String, Publisher> publishers = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      String name = "move-q" + level + "-pub-" + i;
      publishers.put(name, new Publisher(name, connected(cluster.node(i), name), qos));
    }
    Queue<String> strangers = new ConcurrentLinkedQueue<>();
    Consumer<Mqtt5Publish> arrival = p -> {
      String text = Mqtt5Clients.text(p);
      int colon = text.lastIndexOf(':');
      Publisher from = colon < 0 ? null : publishers.get(text.substring(0, colon));
      if (from == null) {
        strangers.add(p.getTopic() + " " + text);
      } else {
        from.arrived(text.substring(colon + 1));
      }
    };
    Roamer roamer = new Roamer("move-q" + level + "-roamer", arrival);
    await(roamer.client.subscribeWith().topicFilter("move/#").qos(qos).send());
    for (Publisher p : publishers.values()) {
      Eventually.until(WAIT, "a probe of " + p.name + " at the roamer (its route known everywhere)", () -> {
        p.probe();
        return p.probed();
      }, seen -> seen);
    }

    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService threads = Executors.newFixedThreadPool(publishers.size());
    try {
      List<CompletableFuture<Void>> publishing = publishers.values().stream()
          .map(p -> CompletableFuture.runAsync(() -> p.publishWhile(running), threads)).toList();
      for (int move = 1; move <= MOVES; move++) {
        int node = move % 2;
        int target = firstArrivals(publishers) + ARRIVALS_BETWEEN_MOVES;
        Eventually.until(WAIT, target + " messages at the roamer before move " + move,
            () -> firstArrivals(publishers),
            n -> n >= target || publishing.stream().anyMatch(CompletableFuture::isDone));
        // a publisher ends early only when it stalls
        for (CompletableFuture<Void> p : publishing) {
          if (p.isDone()) await(p);
        }
        for (Publisher p : publishers.values()) p.moveStarts();
        roamer.moveTo(node);
        LOG.info("move {} to node {} at {} first arrivals", move, node, firstArrivals(publishers));
      }
      running.set(false);
      // a publisher waiting for room when told to stop ends once it has room, or reports its stall
      for (CompletableFuture<Void> p : publishing) await(p, WAIT.multipliedBy(2));
    } finally {
      running.set(false);
      threads.shutdownNow();
    }

    Eventually.until(WAIT, "a PUBACK or refusal for every publication",
        () -> publishers.values().stream().allMatch(Publisher::settled), settled -> settled);
    try {
      Eventually.until(WAIT, "every acknowledged message at the roamer",
          () -> publishers.values().stream().mapToInt(p -> p.missing().size()).sum(), missing -> missing == 0);
    } catch (AssertionError stillMissing) {
      // which messages are missing is reported per publisher below
    }
    await(roamer.client.disconnect());

    SoftAssertions.assertSoftly(softly -> {
      softly.assertThat(strangers).withFailMessage("messages no publisher sent: %s", strangers).isEmpty();
      for (Publisher p : publishers.values()) {
        LOG.info("{}: {} acknowledged, {} first arrivals, {} again", p.name, p.acknowledged.size(),
            p.firstArrivals().size(), p.again());
        softly.assertThat(p.refused).withFailMessage("%s: publications refused: %s", p.name, p.refused).isEmpty();
        List<Integer> missing = p.missing();
        softly.assertThat(missing).withFailMessage("%s: %d of its %d acknowledged messages never reached the roamer: %s",
            p.name, missing.size(), p.acknowledged.size(), p.located(missing)).isEmpty();
        softly.assertThat(p.firstArrivals()).withFailMessage("%s: its messages first reached the roamer out of order: %s",
            p.name, p.disorder()).isSorted();
        if (qos == MqttQos.EXACTLY_ONCE) {
          softly.assertThat(p.again()).withFailMessage("%s: %d of its QoS 2 messages reached the roamer twice",
              p.name, p.again()).isZero();
        }
      }
    });
  }

  private Mqtt5AsyncClient connected(TestNode node, String id) {
    Mqtt5AsyncClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(node.mqttPort)
        .buildAsync();
    clients.add(c.toBlocking());
    await(c.connectWith().cleanStart(true).send());
    return c;
  }

  /**
   * The roaming subscriber: one client throughout, so that it keeps its own side of the session (the
   * QoS 2 packet identifiers it has had) as it moves, as a real client does.
   */
  private final class Roamer {
    final Mqtt5AsyncClient client;
    /** The node to connect to once the current connection ends; -1 for none. */
    private volatile int next = -1;
    private volatile CompletableFuture<Mqtt5ConnAck> connected = new CompletableFuture<>();

    /** Connects as {@code id} on node 0 with a clean start, handing each message it gets to {@code arrival}. */
    Roamer(String id, Consumer<Mqtt5Publish> arrival) {
      client = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(cluster.node(0).mqttPort)
          .addConnectedListener(c -> connected.complete(((Mqtt5ClientConnectedContext) c).getConnAck()))
          .addDisconnectedListener(c -> {
            int node = next;
            next = -1;
            if (node < 0) return;
            ((Mqtt5ClientDisconnectedContext) c).getReconnector().reconnect(true).delay(0, TimeUnit.MILLISECONDS)
                .transportConfig().serverHost("127.0.0.1").serverPort(cluster.node(node).mqttPort).applyTransportConfig()
                .connectWith().cleanStart(false).sessionExpiryInterval(SESSION_EXPIRY_SEC).applyConnect();
          })
          .buildAsync();
      clients.add(client.toBlocking());
      client.publishes(MqttGlobalPublishFilter.ALL, arrival);
      await(client.connectWith().cleanStart(true).sessionExpiryInterval(SESSION_EXPIRY_SEC).send());
    }

    /** Disconnects and connects again on node {@code index}, where the session must be found. */
    void moveTo(int index) {
      CompletableFuture<Mqtt5ConnAck> again = new CompletableFuture<>();
      connected = again;
      next = index;
      await(client.disconnect());
      assertThat(await(again).isSessionPresent()).as("the roamer's session found when it connects on node %d", index)
          .isTrue();
    }
  }

  private static int firstArrivals(Map<String, Publisher> publishers) {
    return publishers.values().stream().mapToInt(p -> p.firstArrivals().size()).sum();
  }

  private static <T> T await(CompletableFuture<T> future) {
    return await(future, WAIT);
  }

  /** The future's value within {@code timeout}; an assertion failure inside it is rethrown as it is. */
  private static <T> T await(CompletableFuture<T> future, Duration timeout) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AssertionError failure) throw failure;
      throw new AssertionError(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("not done within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * One publisher's traffic as both ends see it: what it published and had acknowledged, and what
   * of it reached the roamer. Its messages are {@code <name>:<n>} on {@code move/<name>}, n = 0, 1, ...
   */
  private static final class Publisher {

    final String name;
    private final Mqtt5AsyncClient client;
    private final MqttQos qos;
    private final String topic;
    private final Semaphore window = new Semaphore(AHEAD);
    private volatile int published;
    private volatile boolean probed;
    final Set<Integer> acknowledged = new ConcurrentSkipListSet<>();
    final Queue<String> refused = new ConcurrentLinkedQueue<>();
    // guarded by this
    private final Set<Integer> seen = new HashSet<>();
    private final List<Integer> firstArrivals = new ArrayList<>();
    private int again;
    /** The number of first arrivals when each move began. */
    private final List<Integer> moves = new ArrayList<>();

    Publisher(String name, Mqtt5AsyncClient client, MqttQos qos) {
      this.name = name;
      this.client = client;
      this.qos = qos;
      this.topic = "move/" + name;
    }

    void probe() {
      client.publishWith().topic(topic).payload(bytes(name + ":probe")).qos(MqttQos.AT_MOST_ONCE).send();
    }

    boolean probed() {
      return probed;
    }

    /** Publishes n = 0, 1, ... at most {@link #AHEAD} ahead of the roamer until {@code running} turns false. */
    void publishWhile(AtomicBoolean running) {
      while (running.get()) {
        int n = published;
        if (!acquire()) {
          throw new AssertionError(name + " stalled at message " + n + ": none of its messages reached the roamer for "
              + WAIT + "; of those before, it misses " + located(missingBelow(n)) + "; its first arrivals: " + disorder());
        }
        client.publishWith().topic(topic).payload(bytes(name + ":" + n)).qos(qos).send()
            .whenComplete((result, failure) -> settle(n, result, failure));
        published = n + 1;
      }
    }

    private boolean acquire() {
      try {
        return window.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private void settle(int n, Mqtt5PublishResult result, Throwable failure) {
      Throwable error = failure != null ? failure : result.getError().orElse(null);
      if (error == null) {
        acknowledged.add(n);
      } else {
        refused.add(n + " (" + error + ")");
      }
    }

    /** Every publication has its PUBACK or its failure. */
    boolean settled() {
      return acknowledged.size() + refused.size() == published;
    }

    /** What the roamer got after {@code <name>:}: a probe or a message number. */
    synchronized void arrived(String what) {
      if (what.equals("probe")) {
        probed = true;
        return;
      }
      int n = Integer.parseInt(what);
      if (seen.add(n)) {
        firstArrivals.add(n);
        window.release();
      } else {
        again++;
      }
    }

    /** How many of its messages reached the roamer more than once. */
    synchronized int again() {
      return again;
    }

    synchronized void moveStarts() {
      moves.add(firstArrivals.size());
    }

    synchronized List<Integer> firstArrivals() {
      return List.copyOf(firstArrivals);
    }

    /** Acknowledged messages the roamer has not received, ascending. */
    synchronized List<Integer> missing() {
      return acknowledged.stream().filter(n -> !seen.contains(n)).toList();
    }

    private synchronized List<Integer> missingBelow(int end) {
      List<Integer> missing = new ArrayList<>();
      for (int n = 0; n < end; n++) {
        if (!seen.contains(n)) missing.add(n);
      }
      return missing;
    }

    /**
     * Ascending numbers as runs ({@code 812-849, 900}), each with when the roamer got the message just
     * before it.
     */
    synchronized String located(List<Integer> numbers) {
      StringJoiner runs = new StringJoiner(", ", "[", "]");
      int shown = 0;
      for (int i = 0; i < numbers.size() && shown < 20; shown++) {
        int from = numbers.get(i);
        int to = from;
        while (i + 1 < numbers.size() && numbers.get(i + 1) == to + 1) to = numbers.get(++i);
        i++;
        int previous = firstArrivals.indexOf(from - 1);
        runs.add((from == to ? "" + from : from + "-" + to)
            + (previous < 0 ? "" : " (" + (from - 1) + " was " + afterMove(previous) + ")"));
      }
      return numbers.isEmpty() ? "none" : runs + (shown == 20 ? " ..." : "");
    }

    /** Where first arrivals went backwards, the first few, each as the run that came late and when it came. */
    synchronized String disorder() {
      List<String> places = new ArrayList<>();
      int count = 0;
      int highest = -1;
      for (int i = 0; i < firstArrivals.size(); i++) {
        int n = firstArrivals.get(i);
        if (n > highest) {
          highest = n;
          continue;
        }
        int end = i;
        while (end + 1 < firstArrivals.size() && firstArrivals.get(end + 1) == firstArrivals.get(end) + 1
            && firstArrivals.get(end + 1) < highest) {
          end++;
        }
        count++;
        if (places.size() < 5) {
          int last = firstArrivals.get(end);
          places.add((n == last ? "" + n : n + "-" + last) + " after " + highest + " (" + afterMove(i) + ")");
        }
        i = end;
      }
      return count == 0 ? "in order" : count + " late runs, first " + places;
    }

    /** When the first arrival at {@code position} came, counted in this publisher's messages since a move began. */
    private String afterMove(int position) {
      int move = 0;
      while (move < moves.size() && moves.get(move) <= position) move++;
      return move == 0 ? "before the first move"
          : "its " + ordinal(position - moves.get(move - 1) + 1) + " message after move " + move + " began";
    }

    private static String ordinal(int n) {
      String suffix = n % 100 / 10 == 1 ? "th" : switch (n % 10) {
        case 1 -> "st";
        case 2 -> "nd";
        case 3 -> "rd";
        default -> "th";
      };
      return n + suffix;
    }

    private static byte[] bytes(String text) {
      return text.getBytes(StandardCharsets.UTF_8);
    }
  }
}
