package io.falconmind.center.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Four clustered nodes in this JVM sharing one PostgreSQL: three Raft voters and a gateway. Every
 * node serves REST and MQTT, proposals from any node reach the leader, every node applies the same
 * events with the same seq, and a leader that stops hands leadership over and leaves the group.
 * Crashes of real processes are covered by the fault tests in {@code it.cluster}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static EmbeddedPostgres postgres;
  private static final List<TestNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    postgres = EmbeddedPostgres.builder().setDataDirectory(Files.createTempDirectory("cluster-it-pg"))
        .setCleanDataDirectory(true).start();
    String url = "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
    int[] hazelcast = {TestNode.freePort(), TestNode.freePort(), TestNode.freePort(), TestNode.freePort()};
    String members = java.util.Arrays.stream(hazelcast).mapToObj(p -> "127.0.0.1:" + p)
        .collect(Collectors.joining(","));
    List<CompletableFuture<TestNode>> starting = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Map<String, String> settings = new HashMap<>();
      settings.put("node.id", "cit-" + i);
      settings.put("cluster.enabled", "true");
      settings.put("cluster.members", members);
      settings.put("cluster.port", String.valueOf(hazelcast[i]));
      settings.put("cluster.bootstrapExpect", "3");
      settings.put("cluster.voterGraceSec", "5");
      settings.put("raft.voters", "3");
      settings.put("raft.learners", "0");
      settings.put("postgres.url", url);
      settings.put("postgres.poolSize", "2");
      Path dir = Files.createTempDirectory("cluster-it-node");
      // the first three form the group; the fourth comes once it exists, so it is a gateway
      if (i == 3) CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
      starting.add(CompletableFuture.supplyAsync(() -> TestNode.start(dir, settings)));
    }
    for (CompletableFuture<TestNode> f : starting) nodes.add(f.join());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (TestNode n : nodes) n.close();
    if (postgres != null) postgres.close();
  }

  private static JsonObject cluster(TestNode n) {
    return n.api.get("/api/v1/cluster").json();
  }

  private static TestNode byRole(String role) {
    return Eventually.until(WAIT, "a " + role, () -> nodes.stream()
        .filter(n -> !n.closed() && role.equals(cluster(n).getString("role"))).findFirst().orElse(null), n -> n != null);
  }

  @Test
  @Order(1)
  void formsOneGroupOfThreeVotersAndAGateway() {
    JsonObject view = Eventually.until(WAIT, "three voters and a gateway", () -> cluster(nodes.get(3)),
        v -> v.getJsonArray("members").size() == 4 && v.getString("leader") != null
            && "GATEWAY".equals(v.getString("role")));
    String leader = view.getString("leader");
    Map<String, Long> roles = view.getJsonArray("members").stream().map(o -> ((JsonObject) o).getString("role"))
        .collect(Collectors.groupingBy(r -> r, Collectors.counting()));
    assertThat(roles).containsEntry("LEADER", 1L).containsEntry("FOLLOWER", 2L).containsEntry("GATEWAY", 1L);
    for (TestNode n : nodes) {
      JsonObject v = cluster(n);
      assertThat(v.getString("leader")).as("leader seen by %s", v.getString("nodeId")).isEqualTo(leader);
      assertThat(v.getJsonArray("members")).hasSize(4);
      assertThat(n.api.get("/health/ready").status()).isEqualTo(200);
    }
  }

  @Test
  @Order(2)
  void anyNodeServesAMissionAndEveryNodeAppliesTheSameEvents() {
    TestNode follower = byRole("FOLLOWER");
    TestNode gateway = byRole("GATEWAY");
    String token = follower.api.register("cit-drone-1", new JsonObject());
    TestDevice drone = gateway.device("cit-drone-1", token);
    try {
      drone.profile(new JsonObject().put("kind", "drone").put("capabilities", new JsonArray().add("camera"))
          .put("capacity", 1));
      for (TestNode n : nodes) n.api.awaitDeviceState("cit-drone-1", "ONLINE", WAIT);

      JsonObject mission = new JsonObject().put("type", "survey").put("idempotencyKey", "cit-key-1")
          .put("requirements", new JsonObject().put("capabilities", new JsonArray().add("camera")));
      Api.Response first = follower.api.post("/api/v1/missions", mission);
      assertThat(first.status()).isEqualTo(201);
      String id = first.json().getString("id");
      // the same key on another node answers with the mission it created
      Api.Response again = gateway.api.post("/api/v1/missions", mission);
      assertThat(again.status()).isEqualTo(200);
      assertThat(again.json().getString("id")).isEqualTo(id);

      JsonObject assignment = drone.awaitAssignment(WAIT);
      assertThat(assignment.getString("missionId")).isEqualTo(id);
      drone.runToSuccess(assignment);
      for (TestNode n : nodes) n.api.awaitMissionState(id, "SUCCEEDED", WAIT);
    } finally {
      drone.close();
    }
    // every node has applied the same log: same index, same seq
    JsonObject leaderView = cluster(byRole("LEADER"));
    for (TestNode n : nodes) {
      Eventually.until(WAIT, "node caught up with the leader", () -> cluster(n),
          v -> v.getLong("seq").equals(cluster(byRole("LEADER")).getLong("seq"))
              && v.getLong("persistedSeq").equals(v.getLong("seq")));
    }
    assertThat(leaderView.getLong("seq")).isPositive();
  }

  @Test
  @Order(3)
  void aDeviceThatReconnectsToAnotherNodeGetsItsOpenAssignmentAgain() {
    TestNode follower = byRole("FOLLOWER");
    TestNode gateway = byRole("GATEWAY");
    String token = follower.api.register("cit-drone-2", new JsonObject());
    JsonObject assignment;
    String id;
    try (TestDevice first = follower.device("cit-drone-2", token)) {
      first.profile(new JsonObject().put("kind", "rover").put("capabilities", new JsonArray().add("drive"))
          .put("capacity", 1));
      follower.api.awaitDeviceState("cit-drone-2", "ONLINE", WAIT);
      id = gateway.api.submit(new JsonObject().put("type", "patrol")
          .put("requirements", new JsonObject().put("kind", "rover"))).getString("id");
      assignment = first.awaitAssignment(WAIT);
      assertThat(assignment.getString("missionId")).isEqualTo(id);
    }
    try (TestDevice second = gateway.device("cit-drone-2", token)) {
      JsonObject again = second.awaitAssignment(WAIT);
      assertThat(again.getString("missionId")).isEqualTo(id);
      assertThat(again.getInteger("attempt")).isEqualTo(assignment.getInteger("attempt"));
      second.runToSuccess(again);
      follower.api.awaitMissionState(id, "SUCCEEDED", WAIT);
    }
  }

  @Test
  @Order(4)
  void aStoppingLeaderHandsOverAndLeavesTheGroup() throws Exception {
    TestNode leader = byRole("LEADER");
    TestNode gateway = byRole("GATEWAY");
    String leaving = cluster(leader).getString("self");
    long started = System.nanoTime();
    leader.close();
    JsonObject view = Eventually.until(WAIT, "a new leader", () -> cluster(gateway),
        v -> v.getString("leader") != null && !v.getString("leader").equals(leaving));
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertThat(ms).as("handover took %d ms", ms).isLessThan(10_000);
    TestNode newLeader = byRole("LEADER");
    Eventually.until(WAIT, "the stopped node left the voters", () -> cluster(newLeader),
        v -> !v.getJsonArray("voters").contains(leaving));
    // the group still decides: a submit anywhere is accepted, and the gateway is enlisted to fill the
    // missing voter's place
    assertThat(gateway.api.post("/api/v1/missions", new JsonObject().put("type", "survey")).status()).isEqualTo(201);
    Eventually.until(WAIT, "three voters again", () -> cluster(newLeader), v -> v.getJsonArray("voters").size() == 3);
  }
}
