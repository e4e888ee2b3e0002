package io.falconmind.center.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acknowledged work survives {@code kill -9} of a node process: after a restart on the same data
 * directory every acknowledged mission and device is back with its state and history, and missions
 * that were mid-attempt are resolved by the normal rules.
 */
@Timeout(600)
class CrashRecoveryIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path work;

  @Test
  void everyAcknowledgedMissionSurvivesKillNine() throws Exception {
    Path data = work.resolve("node");
    int http = TestNode.freePort();
    int mqtt = TestNode.freePort();
    Map<String, JsonObject> acknowledged = new HashMap<>();
    String running;
    String silent;
    String succeeded;
    String returningToken;

    NodeProcess first = NodeProcess.start(data, http, mqtt, Map.of());
    try {
      returningToken = first.api.register("crash-returning", new JsonObject());
      String silentToken = first.api.register("crash-silent", new JsonObject());
      try (TestDevice returning = TestDevice.connect(mqtt, "crash-returning", returningToken);
           TestDevice gone = TestDevice.connect(mqtt, "crash-silent", silentToken)) {
        returning.profile(profile("returning"));
        gone.profile(profile("silent"));
        Eventually.until(WAIT, "profiles applied", () -> first.api.device("crash-silent"),
            d -> "rover".equals(d.getString("kind")));

        succeeded = first.api.submit(mission("returning", 60)).getString("id");
        returning.runToSuccess(returning.awaitAssignment(WAIT));
        first.api.awaitMissionState(succeeded, "SUCCEEDED", WAIT);

        running = first.api.submit(mission("returning", 600)).getString("id");
        JsonObject a = returning.awaitAssignment(WAIT);
        returning.status(running, a.getInteger("attempt"), "RUNNING");
        first.api.awaitMissionState(running, "RUNNING", WAIT);

        silent = first.api.submit(mission("silent", 3)).getString("id");
        gone.awaitAssignment(WAIT);
        first.api.awaitMissionState(silent, "ASSIGNED", WAIT);

        JsonArray batch = new JsonArray();
        for (int i = 0; i < 40; i++) batch.add(mission("nobody", 60).put("priority", 1 + i));
        Api.Response r = first.api.post("/api/v1/missions/batch", new JsonObject().put("missions", batch));
        assertThat(r.status()).isEqualTo(201);
        for (Object item : r.json().getJsonArray("items")) {
          JsonObject m = ((JsonObject) item).getJsonObject("mission");
          acknowledged.put(m.getString("id"), m);
        }
        for (String id : List.of(succeeded, running, silent)) acknowledged.put(id, first.api.mission(id));
      }
      first.kill9();
    } finally {
      first.close();
    }

    NodeProcess second = NodeProcess.start(data, http, mqtt, Map.of());
    try {
      for (JsonObject before : acknowledged.values()) {
        JsonObject after = second.api.mission(before.getString("id"));
        assertThat(after.getString("type")).isEqualTo(before.getString("type"));
        assertThat(after.getInteger("priority")).isEqualTo(before.getInteger("priority"));
        assertThat(after.getString("createdAt")).isEqualTo(before.getString("createdAt"));
        assertThat(after.getJsonArray("attempts").size()).isGreaterThanOrEqualTo(before.getJsonArray("attempts").size());
      }
      assertThat(second.api.mission(succeeded).getString("state")).isEqualTo("SUCCEEDED");
      assertThat(second.api.device("crash-returning").getString("kind")).isEqualTo("rover");
      Api.Response page = second.api.get("/api/v1/missions?limit=500&state=QUEUED");
      List<String> queued = new ArrayList<>();
      for (Object o : page.json().getJsonArray("items")) queued.add(((JsonObject) o).getString("id"));
      assertThat(queued).hasSizeGreaterThanOrEqualTo(40);

      try (TestDevice back = TestDevice.connect(mqtt, "crash-returning", returningToken)) {
        JsonObject again = back.awaitAssignment(WAIT);
        assertThat(again.getString("missionId")).isEqualTo(running);
        back.status(running, again.getInteger("attempt"), "SUCCEEDED");
        second.api.awaitMissionState(running, "SUCCEEDED", WAIT);
      }

      JsonObject retried = Eventually.until(WAIT, "silent attempt timed out", () -> second.api.mission(silent),
          m -> m.getJsonArray("attempts").size() >= 1
              && "TIMED_OUT".equals(m.getJsonArray("attempts").getJsonObject(0).getString("outcome")));
      assertThat(retried.getString("state")).isIn("QUEUED", "ASSIGNED", "RUNNING");
      assertThat(second.terminate()).as("exit code after SIGTERM").isIn(0, 143);
    } finally {
      second.close();
    }
  }

  private static JsonObject profile(String group) {
    return new JsonObject().put("kind", "rover").put("capabilities", new JsonArray().add("drive"))
        .put("capacity", 1).put("labels", new JsonObject().put("group", group));
  }

  private static JsonObject mission(String group, int timeoutSec) {
    return new JsonObject().put("type", "patrol").put("timeoutSec", timeoutSec)
        .put("requirements", new JsonObject().put("labels", new JsonObject().put("group", group)));
  }
}
