package io.falconmind.center.it.partition;

import io.falconmind.center.it.Api;
import io.falconmind.center.it.Eventually;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real network partition: three node processes, each on its own loopback address, share one
 * PostgreSQL and form a Raft group of three voters; iptables then cuts one follower off from both
 * others. The cut-off node must report itself unready (it has no contact with a leader) and refuse
 * work with a retryable problem while the two others stay ready and keep accepting work; once the
 * partition heals it must be ready again and have applied everything committed meanwhile.
 *
 * <p>The partition is kept shorter than Hazelcast's failure detection (15 s) and the voter grace
 * period ({@code cluster.voterGraceSec}), so this is the short partition a follower rides out as the
 * same member, not one after which it is replaced. Needs root and iptables (.ci/run installs it);
 * without them the test fails saying so.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PartitionIT {

  private static final List<String> ADDRESSES = List.of("127.0.0.11", "127.0.0.12", "127.0.0.13");
  private static final int FIRST_GROUP_ID = 47011;
  private static final Duration STARTUP = Duration.ofSeconds(90);
  private static final Duration DETECTION = Duration.ofSeconds(10);
  private static final Duration RECOVERY = Duration.ofSeconds(20);
  private static final String DEVICE = "partition-drone-1";
  private static final String REFUSED_KEY = "partition-refused-1";

  private static LoopbackFirewall firewall;
  private static EmbeddedPostgres postgres;
  private static final List<LoopbackNode> nodes = new ArrayList<>();

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      for (LoopbackNode n : nodes) System.out.println("---- " + n + ": the end of " + n.log + "\n" + n.logTail(60));
    }
  };

  @BeforeAll
  static void startCluster() throws Exception {
    // before anything starts: without a usable iptables there is no partition to test
    firewall = LoopbackFirewall.open();
    postgres = EmbeddedPostgres.builder().setDataDirectory(Files.createTempDirectory("partition-it-pg"))
        .setCleanDataDirectory(true).start();
    String url = "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
    Path work = Files.createTempDirectory("partition-it");
    LoopbackNode.Ports ports = LoopbackNode.Ports.freeOn(ADDRESSES);
    for (int i = 0; i < ADDRESSES.size(); i++) {
      nodes.add(LoopbackNode.start("part-" + (i + 1), ADDRESSES.get(i), FIRST_GROUP_ID + i, ports, ADDRESSES, url, work));
    }
    System.out.println("PartitionIT: node logs in " + work);
    for (LoopbackNode n : nodes) {
      try {
        Eventually.until(STARTUP, n + " ready", n::readiness, s -> s == 200);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; its log ends:\n" + n.logTail(40), e);
      }
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    try {
      if (firewall != null) firewall.close();
    } finally {
      nodes.forEach(LoopbackNode::terminate);
      for (LoopbackNode n : nodes) n.close();
      if (postgres != null) postgres.close();
    }
  }

  @Test
  void aFollowerCutOffFromTheOthersIsUnreadyAndRefusesWorkUntilThePartitionHeals() {
    // given: one group of three voters, every node naming the same leader
    String leaderEndpoint = awaitOneLeader();
    LoopbackNode follower = nodes.stream().filter(n -> !leaderEndpoint.equals(self(n))).findFirst().orElseThrow();
    List<LoopbackNode> majority = nodes.stream().filter(n -> n != follower).toList();
    String followerEndpoint = self(follower);
    // Each node forwards once to the leader before the cut: the clustered event bus looks up who
    // listens on an address in Hazelcast the first time it is used, and that lookup waits while the
    // member owning the entry is unreachable (until Hazelcast drops it). Known limitation, see README.
    for (LoopbackNode n : nodes) {
      assertThat(n.api.post("/api/v1/missions", survey()).status()).as("submit on %s before the cut", n).isEqualTo(201);
    }

    // when: the follower is cut off from both others, in both directions
    firewall.isolate(follower, majority);
    long cutAt = System.nanoTime();

    // then: it turns unready within seconds and says why, while the majority stays ready and keeps working
    Api.Response unready = Eventually.until(DETECTION, follower + " to answer 503 on /health/ready", () -> {
      assertReady(majority, "while " + follower + " is cut off");
      return follower.api.ready();
    }, r -> r.status() == 503);
    long detectedMs = millisSince(cutAt);
    assertThat(unready.json().getString("status")).isEqualTo("DOWN");
    assertThat(unready.json().getJsonObject("checks").getJsonObject("control").getString("detail"))
        .contains("no contact with a Raft leader");
    List<String> submitted = assertAcceptsWork(majority);
    assertRefusesWork(follower);
    long committedMeanwhile = majority.stream().mapToLong(PartitionIT::appliedIndex).max().orElseThrow();
    assertThat(appliedIndex(follower)).as("applied index of the cut-off node").isLessThan(committedMeanwhile);
    long partitionMs = millisSince(cutAt);

    // when: the partition heals
    firewall.heal();
    long healedAt = System.nanoTime();

    // then: it is ready again within seconds without disturbing the majority, and has applied everything
    // committed meanwhile: the same seq as the majority, in its own view and in theirs
    Eventually.until(RECOVERY, follower + " ready again after the heal", () -> {
      assertReady(majority, "while " + follower + " rejoins");
      return follower.readiness();
    }, s -> s == 200);
    long recoveredMs = millisSince(healedAt);
    Eventually.until(RECOVERY.minusMillis(recoveredMs), follower + " caught up with the majority", () -> {
      JsonObject own = follower.api.cluster();
      JsonObject theirs = majority.get(0).api.cluster();
      JsonObject ownSeenByThem = member(theirs, followerEndpoint);
      return own.getLong("appliedIndex") >= committedMeanwhile && own.getLong("seq").equals(theirs.getLong("seq"))
          && ownSeenByThem != null && theirs.getLong("seq").equals(ownSeenByThem.getLong("seq"));
    }, caughtUp -> caughtUp);
    // (a mission read falls back to PostgreSQL, so these reads alone would not prove the catch-up above)
    for (String id : submitted) {
      assertThat(follower.api.getJson("/api/v1/missions/" + id).getString("type")).isEqualTo("survey");
    }
    assertThat(follower.api.getJson("/api/v1/devices/" + DEVICE).getString("id")).isEqualTo(DEVICE);
    // the refused submit left nothing behind: its idempotency key is still unused
    Api.Response retried = majority.get(0).api.post("/api/v1/missions", survey(), REFUSED_KEY);
    assertThat(retried.status()).as("the refused submit retried after the heal: %s", retried).isEqualTo(201);

    System.out.printf("PartitionIT: %s unready %d ms after the cut; cut off for %d ms; ready again %d ms after the heal%n",
        follower, detectedMs, partitionMs, recoveredMs);
  }

  /** A mission submitted through each node of the majority and a device registered; returns the mission ids. */
  private static List<String> assertAcceptsWork(List<LoopbackNode> majority) {
    List<String> submitted = new ArrayList<>();
    for (LoopbackNode n : majority) {
      Api.Response created = n.api.post("/api/v1/missions", survey());
      assertThat(created.status()).as("submit on %s during the partition: %s", n, created).isEqualTo(201);
      submitted.add(created.json().getString("id"));
    }
    Api.Response registered = majority.get(majority.size() - 1).api.post("/api/v1/devices",
        new JsonObject().put("id", DEVICE));
    assertThat(registered.status()).as("device registration during the partition: %s", registered).isEqualTo(201);
    assertReady(majority, "after accepting work during the partition");
    return submitted;
  }

  /**
   * A submit on the cut-off node (which already knows it has no leader) fails at once with a problem
   * that tells the client to retry, and is sent nowhere: nothing can happen to it later.
   */
  private static void assertRefusesWork(LoopbackNode cutOff) {
    Api.Response refused = cutOff.api.post("/api/v1/missions", survey(), REFUSED_KEY);
    assertThat(refused.status()).as("submit on the cut-off node: %s", refused).isEqualTo(503);
    assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
    assertThat(refused.json().getString("code")).isEqualTo("no-leader");
    assertThat(refused.header("Retry-After")).as("Retry-After").isNotNull();
  }

  /** Waits until every node is ready and names the same leader among three members; returns its endpoint. */
  private static String awaitOneLeader() {
    return Eventually.until(STARTUP, "every node ready and naming the same leader", () -> {
      String leader = null;
      for (LoopbackNode n : nodes) {
        if (n.readiness() != 200) return null;
        JsonObject view = n.api.cluster();
        if (view.getString("leader") == null || view.getJsonArray("members").size() != nodes.size()) return null;
        if (leader != null && !leader.equals(view.getString("leader"))) return null;
        leader = view.getString("leader");
      }
      return leader;
    }, Objects::nonNull);
  }

  private static void assertReady(List<LoopbackNode> majority, String when) {
    for (LoopbackNode n : majority) {
      Api.Response ready = n.api.ready();
      assertThat(ready.status()).as("/health/ready of %s %s: %s", n, when, ready).isEqualTo(200);
    }
  }

  private static long appliedIndex(LoopbackNode n) {
    return n.api.cluster().getLong("appliedIndex");
  }

  private static String self(LoopbackNode n) {
    return n.api.cluster().getString("self");
  }

  private static JsonObject member(JsonObject view, String endpoint) {
    return view.getJsonArray("members").stream().map(JsonObject.class::cast)
        .filter(m -> endpoint.equals(m.getString("endpoint"))).findFirst().orElse(null);
  }

  private static JsonObject survey() {
    return new JsonObject().put("type", "survey");
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }
}
