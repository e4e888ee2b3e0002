package io.falconmind.center.it;

import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The whole mission loop on one real node: REST in, MQTT to devices, every retry cause. */
@Timeout(300)
class MissionLoopIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static TestNode node;
  private final List<TestDevice> devices = new ArrayList<>();

  @BeforeAll
  static void startNode() {
    node = TestNode.start(Map.of());
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  @org.junit.jupiter.api.AfterEach
  void disconnectDevices() {
    devices.forEach(TestDevice::close);
  }

  /** A connected device carrying the test's label, so only this test's missions reach it. */
  private TestDevice device(String id, TestInfo test) {
    String suite = test.getTestMethod().orElseThrow().getName();
    String token = node.api.register(id, new JsonObject());
    TestDevice d = node.device(id, token);
    devices.add(d);
    d.profile(new JsonObject().put("kind", "drone").put("capabilities", new JsonArray().add("camera"))
        .put("capacity", 1).put("labels", new JsonObject().put("suite", suite)));
    Eventually.until(WAIT, id + " online with profile", () -> node.api.device(id),
        dv -> "ONLINE".equals(dv.getString("state")) && "drone".equals(dv.getString("kind")));
    return d;
  }

  private static JsonObject mission(TestInfo test) {
    String suite = test.getTestMethod().orElseThrow().getName();
    return new JsonObject().put("type", "survey").put("payload", new JsonObject().put("area", "north-field"))
        .put("requirements", new JsonObject().put("capabilities", new JsonArray().add("camera"))
            .put("labels", new JsonObject().put("suite", suite)));
  }

  @Test
  void runsAMissionFromSubmitToSuccess(TestInfo test) {
    TestDevice drone = device("loop-happy-1", test);
    JsonObject submitted = node.api.submit(mission(test).put("priority", 70));
    assertThat(submitted.getString("state")).isEqualTo("QUEUED");

    JsonObject assignment = drone.awaitAssignment(WAIT);
    assertThat(assignment.getString("missionId")).isEqualTo(submitted.getString("id"));
    assertThat(assignment.getInteger("attempt")).isEqualTo(1);
    assertThat(assignment.getString("type")).isEqualTo("survey");
    assertThat(assignment.getJsonObject("payload").getString("area")).isEqualTo("north-field");
    drone.runToSuccess(assignment);

    JsonObject done = node.api.awaitMissionState(submitted.getString("id"), "SUCCEEDED", WAIT);
    assertThat(done.getJsonObject("result").getInteger("photos")).isEqualTo(3);
    JsonObject attempt = done.getJsonArray("attempts").getJsonObject(0);
    assertThat(attempt.getString("deviceId")).isEqualTo("loop-happy-1");
    assertThat(attempt.getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(attempt.getString("startedAt")).isNotNull();
  }

  @Test
  void retriesOnAnotherDeviceWhenTheFirstRejects(TestInfo test) {
    TestDevice first = device("loop-reject-1", test);
    TestDevice second = device("loop-reject-2", test);
    String id = node.api.submit(mission(test)).getString("id");

    TestDevice chosen = awaitAssignedDevice(id, first, second);
    TestDevice other = chosen == first ? second : first;
    chosen.status(id, new JsonObject().put("attempt", 1).put("status", "REJECTED")
        .put("error", new JsonObject().put("code", "busy").put("message", "charging").put("retryable", true)));

    JsonObject retry = other.awaitAssignment(WAIT);
    assertThat(retry.getString("missionId")).isEqualTo(id);
    assertThat(retry.getInteger("attempt")).isEqualTo(2);
    other.runToSuccess(retry);
    JsonObject done = node.api.awaitMissionState(id, "SUCCEEDED", WAIT);
    assertThat(done.getJsonArray("attempts")).hasSize(2);
    assertThat(done.getJsonArray("attempts").getJsonObject(0).getString("outcome")).isEqualTo("REJECTED");
  }

  @Test
  void retriesARetryableFailureAndStopsAtANonRetryableOne(TestInfo test) {
    TestDevice drone = device("loop-fail-1", test);
    String id = node.api.submit(mission(test)).getString("id");

    JsonObject a1 = drone.awaitAssignment(WAIT);
    drone.status(id, new JsonObject().put("attempt", a1.getInteger("attempt")).put("status", "FAILED")
        .put("error", new JsonObject().put("code", "gps-lost").put("message", "no fix").put("retryable", true)));
    JsonObject a2 = drone.awaitAssignment(WAIT);
    assertThat(a2.getInteger("attempt")).isEqualTo(2);
    drone.status(id, new JsonObject().put("attempt", 2).put("status", "FAILED")
        .put("error", new JsonObject().put("code", "crashed").put("message", "rotor").put("retryable", false)));

    JsonObject failed = node.api.awaitMissionState(id, "FAILED", WAIT);
    assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("crashed");
    assertThat(failed.getJsonArray("attempts")).hasSize(2);
  }

  @Test
  void timesOutASilentAttemptAndRetriesIt(TestInfo test) {
    TestDevice drone = device("loop-timeout-1", test);
    String id = node.api.submit(mission(test).put("timeoutSec", 1)).getString("id");

    JsonObject a1 = drone.awaitAssignment(WAIT);
    drone.status(id, a1.getInteger("attempt"), "ACCEPTED");
    TestDevice.Received cancel = drone.await("/missions/" + id + "/cancel", WAIT);
    assertThat(cancel.json().getInteger("attempt")).isEqualTo(1);
    JsonObject a2 = drone.awaitAssignment(WAIT);
    assertThat(a2.getInteger("attempt")).isEqualTo(2);
    drone.runToSuccess(a2);

    JsonObject done = node.api.awaitMissionState(id, "SUCCEEDED", WAIT);
    assertThat(done.getJsonArray("attempts").getJsonObject(0).getString("outcome")).isEqualTo("TIMED_OUT");
  }

  @Test
  void retriesWhenTheDeviceIsLost(TestInfo test) {
    TestDevice lost = device("loop-lost-1", test);
    String id = node.api.submit(mission(test)).getString("id");
    lost.awaitAssignment(WAIT);
    lost.vanish();

    node.api.awaitDeviceState("loop-lost-1", "OFFLINE", WAIT);
    TestDevice rescuer = device("loop-lost-2", test);
    JsonObject a2 = rescuer.awaitAssignment(WAIT);
    assertThat(a2.getInteger("attempt")).isEqualTo(2);
    rescuer.runToSuccess(a2);
    JsonObject done = node.api.awaitMissionState(id, "SUCCEEDED", WAIT);
    assertThat(done.getJsonArray("attempts").getJsonObject(0).getString("outcome")).isEqualTo("DEVICE_LOST");
  }

  @Test
  void failsOnceItsAttemptsAreUsedUp(TestInfo test) {
    TestDevice drone = device("loop-max-1", test);
    String id = node.api.submit(mission(test).put("maxAttempts", 2)).getString("id");
    for (int attempt = 1; attempt <= 2; attempt++) {
      JsonObject a = drone.awaitAssignment(WAIT);
      assertThat(a.getInteger("attempt")).isEqualTo(attempt);
      drone.status(id, attempt, "REJECTED");
    }
    JsonObject failed = node.api.awaitMissionState(id, "FAILED", WAIT);
    assertThat(failed.getJsonArray("attempts")).hasSize(2);
    drone.expectNothing("/missions/assign", Duration.ofMillis(800));
  }

  @Test
  void cancelReachesTheDeviceRunningTheMission(TestInfo test) {
    TestDevice drone = device("loop-cancel-1", test);
    String id = node.api.submit(mission(test)).getString("id");
    JsonObject a = drone.awaitAssignment(WAIT);
    drone.status(id, a.getInteger("attempt"), "RUNNING");
    node.api.awaitMissionState(id, "RUNNING", WAIT);

    Api.Response canceled = node.api.post("/api/v1/missions/" + id + "/cancel", new JsonObject().put("reason", "storm"));
    assertThat(canceled.status()).isEqualTo(200);
    assertThat(canceled.json().getString("state")).isEqualTo("CANCELED");
    TestDevice.Received cancel = drone.await("/missions/" + id + "/cancel", WAIT);
    assertThat(cancel.json().getString("reason")).isEqualTo("storm");

    assertThatThrownBy(() -> drone.status(id, a.getInteger("attempt"), "SUCCEEDED"))
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e ->
            assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5PubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR));
    TestDevice.Received refused = drone.await("/errors", WAIT);
    assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("attempt-not-open");
    assertThat(refused.json().getString("topic")).endsWith("/missions/" + id + "/status");
    assertThat(node.api.mission(id).getString("state")).isEqualTo("CANCELED");
  }

  @Test
  void expiresAMissionNotStartedByItsDeadline(TestInfo test) {
    String deadline = java.time.Instant.now().plusSeconds(2).toString();
    String id = node.api.submit(mission(test).put("deadline", deadline)).getString("id");
    JsonObject expired = node.api.awaitMissionState(id, "EXPIRED", WAIT);
    assertThat(expired.getJsonArray("attempts")).isEmpty();
  }

  @Test
  void anIdempotentSubmitCreatesOneMission(TestInfo test) {
    JsonObject body = mission(test);
    Api.Response first = node.api.post("/api/v1/missions", body, "Idempotency-Key", "loop-key-1");
    Api.Response again = node.api.post("/api/v1/missions", body, "Idempotency-Key", "loop-key-1");
    Api.Response different = node.api.post("/api/v1/missions", body.copy().put("priority", 99),
        "Idempotency-Key", "loop-key-1");

    assertThat(first.status()).isEqualTo(201);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getString("id")).isEqualTo(first.json().getString("id"));
    assertThat(different.status()).isEqualTo(409);
  }

  private TestDevice awaitAssignedDevice(String missionId, TestDevice... candidates) {
    JsonObject m = Eventually.until(WAIT, missionId + " assigned", () -> node.api.mission(missionId),
        x -> "ASSIGNED".equals(x.getString("state")));
    for (TestDevice d : candidates) {
      if (d.id().equals(m.getString("deviceId"))) {
        assertThat(d.awaitAssignment(WAIT).getString("missionId")).isEqualTo(missionId);
        return d;
      }
    }
    throw new AssertionError("assigned to an unexpected device: " + m);
  }
}
