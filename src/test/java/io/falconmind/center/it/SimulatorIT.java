package io.falconmind.center.it;

import io.falconmind.center.sim.Simulator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code simulate} command run the way a user runs it, against one real node: its devices
 * register over REST, connect over MQTT and run what the node assigns; everything is checked
 * through the node's REST API. Each test gives its devices a prefix and a device kind of its own
 * and submits missions that require that kind, so no test's missions reach another test's devices.
 */
@Timeout(300)
class SimulatorIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static TestNode node;
  private static ExecutorService runner;
  private final List<CompletableFuture<Integer>> runs = new ArrayList<>();

  @BeforeAll
  static void startNode() {
    node = TestNode.start(Map.of());
    runner = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "simulator-run");
      t.setDaemon(true);
      return t;
    });
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (runner != null) runner.shutdownNow();
    if (node != null) node.close();
  }

  /** A run a test left unfinished (it failed early) still ends before the next test starts. */
  @AfterEach
  void awaitRuns() {
    for (CompletableFuture<Integer> run : runs) {
      try {
        run.get(2, TimeUnit.MINUTES);
      } catch (Exception e) {
        // the test itself reports what went wrong
      }
    }
  }

  /** Starts {@code simulate} on its own thread with the node's addresses and token. */
  private CompletableFuture<Integer> simulate(String prefix, long runSec, String... options) {
    List<String> args = new ArrayList<>(List.of(
        "--api", "http://127.0.0.1:" + node.httpPort,
        "--mqtt", "127.0.0.1:" + node.mqttPort,
        "--token", node.node.adminToken(),
        "--prefix", prefix,
        "--run-sec", String.valueOf(runSec),
        "--seed", "1"));
    args.addAll(Arrays.asList(options));
    CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Simulator.run(args.toArray(String[]::new)), runner);
    runs.add(run);
    return run;
  }

  /** The exit code of a run, which ends on its own once its run time is over. */
  private static int exitCode(CompletableFuture<Integer> run, long runSec) throws Exception {
    return run.get(runSec + 60, TimeUnit.SECONDS);
  }

  /** A device once the simulator has registered it and it is online with the profile of {@code kind}. */
  private static JsonObject awaitOnline(String id, String kind) {
    return Eventually.until(WAIT, id + " online as " + kind, () -> node.api.get("/api/v1/devices/" + id),
        r -> r.status() == 200 && "ONLINE".equals(r.json().getString("state"))
            && kind.equals(r.json().getString("kind"))).json();
  }

  private static JsonObject mission(String kind) {
    return new JsonObject().put("type", "survey")
        .put("payload", new JsonObject().put("area", "north-field"))
        .put("requirements", new JsonObject().put("kind", kind).put("capabilities", new JsonArray().add("camera")));
  }

  private static List<JsonObject> attempts(JsonObject mission) {
    List<JsonObject> out = new ArrayList<>();
    JsonArray a = mission.getJsonArray("attempts");
    for (int i = 0; i < a.size(); i++) out.add(a.getJsonObject(i));
    return out;
  }

  private static JsonArray missionsOfType(String type) {
    Api.Response r = node.api.get("/api/v1/missions?limit=500&type=" + URLEncoder.encode(type, StandardCharsets.UTF_8));
    if (r.status() != 200) throw new AssertionError("list missions: " + r);
    return r.json().getJsonArray("items");
  }

  @Test
  void devicesRegisterConnectAnnounceTheirProfileAndRunMissionsToSuccess() throws Exception {
    String prefix = "simit-ok";
    String kind = "simit-ok-kind";
    long runSec = 20;
    CompletableFuture<Integer> run = simulate(prefix, runSec, "--devices", "2", "--kinds", kind,
        "--capabilities", kind + "=camera+gps", "--capacity", "2", "--duration-ms", "4000",
        "--progress-steps", "3", "--telemetry-ms", "200");

    for (String id : List.of(prefix + "-0001", prefix + "-0002")) {
      JsonObject device = awaitOnline(id, kind);
      assertThat(device.getJsonArray("capabilities").getList()).containsExactly("camera", "gps");
      assertThat(device.getInteger("capacity")).isEqualTo(2);
      assertThat(device.getJsonObject("labels").getString("sim")).isEqualTo("true");
      assertThat(device.getJsonObject("labels").getString("kind")).isEqualTo(kind);
      assertThat(device.getJsonObject("specs").getBoolean("simulated")).isTrue();
    }

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) ids.add(node.api.submit(mission(kind)).getString("id"));

    // Progress after the first RUNNING report is live-feed only; the REST state shows RUNNING at
    // the progress of that first report (0 %) and 100 % once the mission has succeeded.
    JsonObject running = Eventually.until(WAIT, "a mission running",
        () -> ids.stream().map(node.api::mission).filter(m -> "RUNNING".equals(m.getString("state")))
            .findFirst().orElse(null),
        m -> m != null);
    assertThat(running.getInteger("progress")).isNotNull().isBetween(0, 99);
    assertThat(running.getString("deviceId")).startsWith(prefix + "-");

    Set<String> devicesUsed = new HashSet<>();
    for (String id : ids) {
      JsonObject done = node.api.awaitMissionState(id, "SUCCEEDED", WAIT);
      List<JsonObject> attempts = attempts(done);
      assertThat(attempts).hasSize(1);
      JsonObject attempt = attempts.get(0);
      assertThat(attempt.getString("outcome")).isEqualTo("SUCCEEDED");
      assertThat(attempt.getString("deviceId")).isIn(prefix + "-0001", prefix + "-0002");
      assertThat(attempt.getString("startedAt")).isNotNull();
      JsonObject result = done.getJsonObject("result");
      assertThat(result.getString("device")).isEqualTo(attempt.getString("deviceId"));
      assertThat(result.getString("kind")).isEqualTo(kind);
      assertThat(result.getDouble("lat")).isNotNull();
      assertThat(done.getInteger("progress")).isEqualTo(100);
      devicesUsed.add(attempt.getString("deviceId"));
    }
    assertThat(devicesUsed).isNotEmpty();

    assertThat(exitCode(run, runSec)).isZero();
    // Devices stay registered after the run; they only disconnect.
    node.api.awaitDeviceState(prefix + "-0001", "OFFLINE", WAIT);
    assertThat(node.api.device(prefix + "-0002").getString("kind")).isEqualTo(kind);
  }

  @Test
  void rejectRateOneRejectsEveryAttemptUntilTheMissionFails() throws Exception {
    String prefix = "simit-rej";
    String kind = "simit-rej-kind";
    long runSec = 10;
    CompletableFuture<Integer> run = simulate(prefix, runSec, "--devices", "2", "--kinds", kind,
        "--capabilities", kind + "=camera", "--reject-rate", "1", "--telemetry-ms", "0");
    awaitOnline(prefix + "-0001", kind);
    awaitOnline(prefix + "-0002", kind);

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 2; i++) ids.add(node.api.submit(mission(kind).put("maxAttempts", 3)).getString("id"));
    for (String id : ids) {
      JsonObject failed = node.api.awaitMissionState(id, "FAILED", WAIT);
      List<JsonObject> attempts = attempts(failed);
      assertThat(attempts).hasSize(3);
      for (JsonObject a : attempts) {
        assertThat(a.getString("outcome")).isEqualTo("REJECTED");
        assertThat(a.getString("deviceId")).startsWith(prefix + "-");
        assertThat(a.getJsonObject("error").getString("code")).isEqualTo("declined");
        assertThat(a.getJsonObject("error").getBoolean("retryable")).isTrue();
      }
      assertThat(failed.getValue("result")).isNull();
    }
    assertThat(exitCode(run, runSec)).isZero();
  }

  @Test
  void failRateOneFailsEveryAttemptRetryingOnlyTheRetryableOnes() throws Exception {
    String prefix = "simit-fail";
    String kind = "simit-fail-kind";
    long runSec = 12;
    CompletableFuture<Integer> run = simulate(prefix, runSec, "--devices", "2", "--kinds", kind,
        "--capabilities", kind + "=camera", "--fail-rate", "1", "--duration-ms", "0", "--capacity", "4",
        "--telemetry-ms", "0");
    awaitOnline(prefix + "-0001", kind);
    awaitOnline(prefix + "-0002", kind);

    int maxAttempts = 3;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(node.api.submit(mission(kind).put("maxAttempts", maxAttempts)).getString("id"));
    }
    Set<Boolean> retryableSeen = new HashSet<>();
    boolean retried = false;
    for (String id : ids) {
      JsonObject failed = node.api.awaitMissionState(id, "FAILED", WAIT);
      List<JsonObject> attempts = attempts(failed);
      assertThat(attempts).isNotEmpty().hasSizeLessThanOrEqualTo(maxAttempts);
      for (int i = 0; i < attempts.size(); i++) {
        JsonObject a = attempts.get(i);
        assertThat(a.getString("outcome")).isEqualTo("FAILED");
        assertThat(a.getString("deviceId")).startsWith(prefix + "-");
        JsonObject error = a.getJsonObject("error");
        boolean retryable = error.getBoolean("retryable");
        retryableSeen.add(retryable);
        assertThat(error.getString("code")).isEqualTo(retryable ? "transient-fault" : "hardware-fault");
        // Only a retryable failure gets another attempt; a permanent one ends the mission.
        if (i < attempts.size() - 1) assertThat(retryable).as("attempt %d of %s", i + 1, id).isTrue();
      }
      JsonObject last = attempts.get(attempts.size() - 1).getJsonObject("error");
      if (last.getBoolean("retryable")) assertThat(attempts).hasSize(maxAttempts);
      if (attempts.size() > 1) retried = true;
      assertThat(failed.getJsonObject("error").getString("code")).isEqualTo(last.getString("code"));
    }
    assertThat(retryableSeen).containsExactlyInAnyOrder(true, false);
    assertThat(retried).isTrue();
    assertThat(exitCode(run, runSec)).isZero();
  }

  @Test
  void aCanceledMissionStopsAndTheDeviceTakesNewWork() throws Exception {
    String prefix = "simit-cxl";
    String kind = "simit-cxl-kind";
    String device = prefix + "-0001";
    long runSec = 20;
    CompletableFuture<Integer> run = simulate(prefix, runSec, "--devices", "1", "--kinds", kind,
        "--capabilities", kind + "=camera", "--capacity", "1", "--duration-ms", "4000",
        "--progress-steps", "3", "--telemetry-ms", "0");
    awaitOnline(device, kind);

    String first = node.api.submit(mission(kind)).getString("id");
    node.api.awaitMissionState(first, "RUNNING", WAIT);
    Api.Response canceled = node.api.post("/api/v1/missions/" + first + "/cancel", new JsonObject().put("reason", "storm"));
    assertThat(canceled.status()).isEqualTo(200);
    assertThat(canceled.json().getString("state")).isEqualTo("CANCELED");

    // The device freed its only slot: the next mission runs on it at once, without a busy rejection.
    String second = node.api.submit(mission(kind)).getString("id");
    JsonObject done = node.api.awaitMissionState(second, "SUCCEEDED", WAIT);
    List<JsonObject> attempts = attempts(done);
    assertThat(attempts).hasSize(1);
    assertThat(attempts.get(0).getString("deviceId")).isEqualTo(device);
    assertThat(attempts.get(0).getString("outcome")).isEqualTo("SUCCEEDED");

    JsonObject firstNow = node.api.mission(first);
    assertThat(firstNow.getString("state")).isEqualTo("CANCELED");
    assertThat(firstNow.getValue("result")).isNull();
    assertThat(attempts(firstNow)).hasSize(1);
    assertThat(attempts(firstNow).get(0).getString("deviceId")).isEqualTo(device);
    assertThat(exitCode(run, runSec)).isZero();
  }

  @Test
  void missionsTheSimulatorSubmitsItselfSucceed() throws Exception {
    String prefix = "simit-sub";
    String type = "simit-sub-survey";
    long runSec = 12;
    CompletableFuture<Integer> run = simulate(prefix, runSec, "--devices", "3", "--kinds", "simit-sub-kind",
        "--submit-rate", "4", "--mission-type", type, "--duration-ms", "200", "--progress-steps", "1",
        "--capacity", "2", "--telemetry-ms", "0");
    try {
      JsonArray succeeded = Eventually.until(WAIT, "missions of type " + type + " to succeed",
          () -> {
            JsonArray done = new JsonArray();
            for (Object o : missionsOfType(type)) {
              if ("SUCCEEDED".equals(((JsonObject) o).getString("state"))) done.add(o);
            }
            return done;
          }, done -> done.size() >= 5);
      for (Object o : succeeded) {
        JsonObject m = (JsonObject) o;
        assertThat(m.getString("type")).isEqualTo(type);
        assertThat(m.getJsonObject("payload").getString("source")).isEqualTo("simulator");
        List<JsonObject> attempts = attempts(m);
        JsonObject last = attempts.get(attempts.size() - 1);
        assertThat(last.getString("outcome")).isEqualTo("SUCCEEDED");
        assertThat(last.getString("deviceId")).startsWith(prefix + "-");
        assertThat(m.getJsonObject("result").getString("device")).isEqualTo(last.getString("deviceId"));
      }
      assertThat(exitCode(run, runSec)).isZero();
      assertThat(missionsOfType(type)).noneMatch(o -> "FAILED".equals(((JsonObject) o).getString("state")));
    } finally {
      run.get(runSec + 60, TimeUnit.SECONDS);
      // Missions submitted in the last moments may still be open and need no particular device:
      // cancel them so that no other test's devices pick them up.
      for (Object o : missionsOfType(type)) {
        JsonObject m = (JsonObject) o;
        if (List.of("QUEUED", "ASSIGNED", "RUNNING").contains(m.getString("state"))) {
          node.api.post("/api/v1/missions/" + m.getString("id") + "/cancel", new JsonObject().put("reason", "test over"));
        }
      }
    }
  }

  /**
   * A node of its own, stopped and started again on the same data directory and ports while the
   * simulator runs: the device reconnects by itself, subscribes again, and the mission it was
   * running when the connection dropped ends SUCCEEDED; new work reaches it afterwards.
   */
  @Test
  void devicesReconnectAfterTheNodeRestartsAndFinishWhatTheyRan() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("center-it-sim-restart-");
    TestNode own = TestNode.start(dir, Map.of());
    Map<String, String> samePorts = Map.of("http.port", String.valueOf(own.httpPort),
        "mqtt.port", String.valueOf(own.mqttPort));
    String prefix = "simit-rc";
    String kind = "simit-rc-kind";
    String device = prefix + "-0001";
    long runSec = 60;
    List<String> args = List.of("--api", "http://127.0.0.1:" + own.httpPort, "--mqtt", "127.0.0.1:" + own.mqttPort,
        "--token", own.node.adminToken(), "--prefix", prefix, "--run-sec", String.valueOf(runSec), "--seed", "1",
        "--devices", "1", "--kinds", kind, "--capabilities", kind + "=camera", "--duration-ms", "3000",
        "--progress-steps", "0", "--telemetry-ms", "0");
    CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Simulator.run(args.toArray(String[]::new)), runner);
    runs.add(run);
    TestNode[] current = {own};
    try {
      Eventually.until(WAIT, device + " online", () -> own.api.get("/api/v1/devices/" + device),
          r -> r.status() == 200 && kind.equals(r.json().getString("kind")) && "ONLINE".equals(r.json().getString("state")));
      String first = own.api.submit(mission(kind)).getString("id");
      own.api.awaitMissionState(first, "RUNNING", WAIT);
      current[0] = null;
      own.close();

      current[0] = TestNode.start(dir, samePorts);
      Api api = current[0].api;
      JsonObject done = api.awaitMissionState(first, "SUCCEEDED", Duration.ofSeconds(45));
      List<JsonObject> attempts = attempts(done);
      assertThat(attempts.get(attempts.size() - 1).getString("deviceId")).isEqualTo(device);
      assertThat(attempts.get(attempts.size() - 1).getString("outcome")).isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("result").getString("device")).isEqualTo(device);
      api.awaitDeviceState(device, "ONLINE", WAIT);

      String second = api.submit(mission(kind)).getString("id");
      JsonObject next = api.awaitMissionState(second, "SUCCEEDED", WAIT);
      assertThat(attempts(next)).hasSize(1);
      assertThat(attempts(next).get(0).getString("deviceId")).isEqualTo(device);
      assertThat(exitCode(run, runSec)).isZero();
    } finally {
      run.get(runSec + 60, TimeUnit.SECONDS);
      if (current[0] != null) current[0].close();
    }
  }

  @Test
  void aBadOptionExitsWithTwoAndRegistersNothing() throws Exception {
    String prefix = "simit-bad";
    CompletableFuture<Integer> run = simulate(prefix, 5, "--devices", "-1");
    assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(2);
    assertThat(node.api.get("/api/v1/devices/" + prefix + "-0001").status()).isEqualTo(404);
  }
}
