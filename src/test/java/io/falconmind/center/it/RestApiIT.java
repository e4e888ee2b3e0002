package io.falconmind.center.it;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST API of one real node (Raft, embedded PostgreSQL, real HTTP) driven with the Vert.x web
 * client: every endpoint's happy path, and bad input on every endpoint answered with the right
 * problem document while nothing changes.
 */
@Timeout(300)
class RestApiIT {

  private static final String TOKEN = "it-admin-token";
  private static final int MAX_BODY = 8192;
  private static TestNode node;
  private static Vertx vertx;
  private static WebClient web;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("http.maxBodyBytes", String.valueOf(MAX_BODY), "missions.maxBatch", "5",
        "missions.defaultMaxAttempts", "4"));
    vertx = Vertx.vertx();
    web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.httpPort));
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) vertx.close().await(30, TimeUnit.SECONDS);
    if (node != null) node.close();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, String body) {
    return call(method, path, body, "application/json", TOKEN, null, null);
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, String body, String contentType,
                                           String token, String header, String headerValue) {
    HttpRequest<Buffer> req = web.request(method, path);
    if (token != null) req.putHeader("Authorization", "Bearer " + token);
    if (header != null) req.putHeader(header, headerValue);
    Future<HttpResponse<Buffer>> f;
    if (body == null) {
      f = req.send();
    } else {
      if (contentType != null) req.putHeader("Content-Type", contentType);
      f = req.sendBuffer(Buffer.buffer(body));
    }
    try {
      return f.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    }
  }

  private static JsonObject ok(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    return r.body() == null || r.body().length() == 0 ? new JsonObject() : r.bodyAsJsonObject();
  }

  private static JsonObject problem(String what, HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(what + ": " + r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).as(what).isEqualTo("application/problem+json");
    JsonObject p = r.bodyAsJsonObject();
    assertThat(p.getString("code")).as(what + ": " + p.encode()).isEqualTo(code);
    assertThat(p.getInteger("status")).as(what).isEqualTo(status);
    assertThat(p.getString("type")).as(what).endsWith(":" + code);
    assertThat(p.getString("title")).as(what).isNotBlank();
    assertThat(p.getString("detail")).as(what).isNotBlank();
    return p;
  }

  private static long seq() {
    return ok(call(HttpMethod.GET, "/api/v1/cluster", null), 200).getLong("seq");
  }

  @Test
  void registersReadsListsDrainsAndRemovesDevices() {
    JsonObject reg = ok(call(HttpMethod.POST, "/api/v1/devices",
        "{\"id\":\"rest-d1\",\"name\":\"Drone one\",\"labels\":{\"site\":\"north\"}}"), 201);
    assertThat(reg.getString("token")).hasSizeGreaterThan(20);
    assertThat(reg.getJsonObject("device").getString("state")).isEqualTo("OFFLINE");
    assertThat(reg.getJsonObject("device").containsKey("tokenHash")).isFalse();
    JsonObject generated = ok(call(HttpMethod.POST, "/api/v1/devices", "{}"), 201);
    assertThat(generated.getJsonObject("device").getString("id")).isNotBlank();
    ok(call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"rest-d2\"}"), 201);

    JsonObject one = ok(call(HttpMethod.GET, "/api/v1/devices/rest-d1", null), 200);
    assertThat(one.getString("name")).isEqualTo("Drone one");
    assertThat(one.getJsonObject("labels").getString("site")).isEqualTo("north");

    List<String> ids = new ArrayList<>();
    String after = null;
    do {
      JsonObject page = ok(call(HttpMethod.GET, "/api/v1/devices?state=OFFLINE&limit=1"
          + (after == null ? "" : "&after=" + after), null), 200);
      page.getJsonArray("items").forEach(d -> ids.add(((JsonObject) d).getString("id")));
      after = page.getString("next");
    } while (after != null);
    assertThat(ids).contains("rest-d1", "rest-d2").isSorted().doesNotHaveDuplicates();
    assertThat(ok(call(HttpMethod.GET, "/api/v1/devices?state=ONLINE", null), 200).getJsonArray("items")
        .stream().map(d -> ((JsonObject) d).getString("id"))).doesNotContain("rest-d1");

    assertThat(ok(call(HttpMethod.POST, "/api/v1/devices/rest-d1/drain", null), 200).getBoolean("draining")).isTrue();
    assertThat(ok(call(HttpMethod.POST, "/api/v1/devices/rest-d1/drain", "{\"draining\":false}"), 200)
        .getBoolean("draining")).isFalse();

    assertThat(call(HttpMethod.DELETE, "/api/v1/devices/rest-d2", null).statusCode()).isEqualTo(204);
    problem("get removed", call(HttpMethod.GET, "/api/v1/devices/rest-d2", null), 404, "device-not-found");
    problem("delete removed", call(HttpMethod.DELETE, "/api/v1/devices/rest-d2", null), 404, "device-not-found");
  }

  @Test
  void submitsReadsListsAndCancelsMissions() {
    HttpResponse<Buffer> created = call(HttpMethod.POST, "/api/v1/missions",
        "{\"type\":\"rest-survey\",\"priority\":80,\"payload\":{\"area\":\"north\"},"
            + "\"requirements\":{\"capabilities\":[\"camera\"],\"kind\":\"drone\",\"labels\":{\"site\":\"nowhere\"},"
            + "\"minBattery\":30,\"near\":{\"lat\":48.1,\"lon\":11.5,\"radiusKm\":2.5}},"
            + "\"timeoutSec\":60,\"deadline\":\"" + Instant.now().plusSeconds(3600) + "\"}");
    JsonObject m = ok(created, 201);
    String id = m.getString("id");
    assertThat(created.getHeader("Location")).isEqualTo("/api/v1/missions/" + id);
    assertThat(m.getString("state")).isEqualTo("QUEUED");
    assertThat(m.getInteger("maxAttempts")).isEqualTo(4);
    assertThat(m.getJsonArray("attempts")).isEmpty();
    assertThat(m.getJsonObject("requirements").getJsonObject("near").getDouble("radiusKm")).isEqualTo(2.5);

    assertThat(ok(call(HttpMethod.GET, "/api/v1/missions/" + id, null), 200).getString("type")).isEqualTo("rest-survey");
    JsonObject listed = ok(call(HttpMethod.GET, "/api/v1/missions?type=rest-survey&state=QUEUED,RUNNING&limit=10", null), 200);
    assertThat(listed.getJsonArray("items").stream().map(x -> ((JsonObject) x).getString("id"))).contains(id);
    JsonObject repeated = ok(call(HttpMethod.GET, "/api/v1/missions?state=QUEUED,RUNNING&state=ASSIGNED&type=rest-survey", null), 200);
    assertThat(repeated.getJsonArray("items").stream().map(x -> ((JsonObject) x).getString("id"))).contains(id);

    JsonObject canceled = ok(call(HttpMethod.POST, "/api/v1/missions/" + id + "/cancel", "{\"reason\":\"changed plans\"}"), 200);
    assertThat(canceled.getString("state")).isEqualTo("CANCELED");
    assertThat(canceled.getJsonObject("error").getString("message")).isEqualTo("changed plans");
    problem("cancel twice", call(HttpMethod.POST, "/api/v1/missions/" + id + "/cancel", null), 409, "mission-finished");
    JsonObject history = ok(call(HttpMethod.GET, "/api/v1/missions?state=CANCELED&type=rest-survey", null), 200);
    assertThat(history.getJsonArray("items").stream().map(x -> ((JsonObject) x).getString("id"))).contains(id);
  }

  @Test
  void fillsInTheDefaultsOfAMissionThatNamesOnlyItsType() {
    JsonObject m = ok(call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"rest-defaults\"}"), 201);
    assertThat(m.getInteger("priority")).isEqualTo(50);
    assertThat(m.getInteger("maxAttempts")).as("missions.defaultMaxAttempts").isEqualTo(4);
    assertThat(m.getInteger("timeoutSec")).as("missions.defaultTimeoutSec").isEqualTo(300);
    assertThat(m.getJsonObject("payload")).isEqualTo(new JsonObject());
    assertThat(m.getInteger("attempt")).isZero();
    assertThat(ok(call(HttpMethod.GET, "/api/v1/missions/" + m.getString("id"), null), 200)).isEqualTo(m);
  }

  @Test
  void pagesThroughMissionsNewestFirst() {
    List<String> submitted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      submitted.add(0, ok(call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"rest-page\"}"), 201).getString("id"));
    }
    List<String> seen = new ArrayList<>();
    String after = null;
    do {
      JsonObject page = ok(call(HttpMethod.GET, "/api/v1/missions?type=rest-page&limit=2"
          + (after == null ? "" : "&after=" + after), null), 200);
      page.getJsonArray("items").forEach(x -> seen.add(((JsonObject) x).getString("id")));
      after = page.getString("next");
    } while (after != null);
    assertThat(seen).isEqualTo(submitted);
  }

  @Test
  void answersARetryWithTheMissionItCreatedAndRefusesAReusedKey() {
    HttpResponse<Buffer> first = call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"rest-idem\",\"priority\":60}",
        "application/json", TOKEN, "Idempotency-Key", "rest-key-1");
    HttpResponse<Buffer> retry = call(HttpMethod.POST, "/api/v1/missions",
        "{ \"priority\": 60, \"type\": \"rest-idem\", \"idempotencyKey\": \"rest-key-1\" }");
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(retry.statusCode()).as(retry.bodyAsString()).isEqualTo(200);
    assertThat(retry.bodyAsJsonObject().getString("id")).isEqualTo(first.bodyAsJsonObject().getString("id"));
    HttpResponse<Buffer> respelled = call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"rest-idem\",\"priority\":60.0}",
        "application/json", TOKEN, "Idempotency-Key", "rest-key-1");
    assertThat(respelled.statusCode()).as("60.0 is the number 60: " + respelled.bodyAsString()).isEqualTo(200);
    assertThat(respelled.bodyAsJsonObject().getString("id")).isEqualTo(first.bodyAsJsonObject().getString("id"));
    long before = seq();
    problem("reused key in the body", call(HttpMethod.POST, "/api/v1/missions",
        "{\"type\":\"rest-other\",\"idempotencyKey\":\"rest-key-1\"}"), 409, "idempotency-key-reused");
    problem("reused key", call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"rest-other\"}", "application/json",
        TOKEN, "Idempotency-Key", "rest-key-1"), 409, "idempotency-key-reused");
    problem("keys disagree", call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"rest-idem\",\"idempotencyKey\":\"a\"}",
        "application/json", TOKEN, "Idempotency-Key", "b"), 400, "validation-failed");
    assertThat(seq()).isEqualTo(before);
  }

  @Test
  void submitsABatchAsOneCommandWithAnOutcomePerItem() {
    JsonObject result = ok(call(HttpMethod.POST, "/api/v1/missions/batch",
        "{\"missions\":[{\"type\":\"rest-batch\",\"idempotencyKey\":\"rest-b1\"},{\"type\":\"rest-batch\",\"priority\":90},"
            + "{\"type\":\"rest-batch\",\"idempotencyKey\":\"rest-b1\"},{\"type\":\"other\",\"idempotencyKey\":\"rest-b1\"}]}"), 201);
    JsonArray items = result.getJsonArray("items");
    assertThat(items).hasSize(4);
    assertThat(items.getJsonObject(0).getInteger("status")).isEqualTo(201);
    assertThat(items.getJsonObject(1).getJsonObject("mission").getInteger("priority")).isEqualTo(90);
    assertThat(items.getJsonObject(2).getInteger("status")).isEqualTo(200);
    assertThat(items.getJsonObject(2).getString("missionId")).isEqualTo(items.getJsonObject(0).getString("missionId"));
    assertThat(items.getJsonObject(3).getInteger("status")).isEqualTo(409);
    assertThat(items.getJsonObject(3).getJsonObject("problem").getString("code")).isEqualTo("idempotency-key-reused");
  }

  @Test
  void servesHealthMetricsClusterAndTheContract() {
    assertThat(call(HttpMethod.GET, "/health/live", null, null, null, null, null).statusCode()).isEqualTo(200);
    JsonObject ready = ok(call(HttpMethod.GET, "/health/ready", null, null, null, null, null), 200);
    assertThat(ready.getJsonObject("checks").getJsonObject("store").getString("status")).isEqualTo("UP");
    assertThat(ready.getJsonObject("checks").getJsonObject("control").getString("status")).isEqualTo("UP");
    JsonObject cluster = ok(call(HttpMethod.GET, "/api/v1/cluster", null), 200);
    assertThat(cluster.getString("role")).isEqualTo("LEADER");
    String metrics = call(HttpMethod.GET, "/metrics", null, null, null, null, null).bodyAsString();
    assertThat(metrics).contains("center_missions{").contains("center_queue_depth").contains("center_devices{state=\"total\"")
        .contains("center_submit_to_assign_seconds{quantile=\"0.99\"}").contains("center_submit_to_assign_buckets_seconds_bucket")
        .contains("jvm_memory_used_bytes").contains("vertx_http_server");
    String doc = call(HttpMethod.GET, "/openapi.yaml", null, null, null, null, null).bodyAsString();
    assertThat(doc).startsWith("openapi: 3.1.0").contains("/api/v1/missions/batch");
  }

  @Test
  void namesEveryInvalidFieldOfASubmitInOneProblem() {
    long before = seq();
    JsonObject p = problem("invalid fields", call(HttpMethod.POST, "/api/v1/missions",
        "{\"type\":\"\",\"priority\":101,\"colour\":\"red\",\"requirements\":{\"near\":{\"lat\":91,\"lon\":0,\"radiusKm\":0}}}"),
        400, "validation-failed");
    assertThat(p.getJsonArray("errors").encode()).contains("/priority").contains("/type").contains("/requirements/near/lat")
        .contains("/requirements/near/radiusKm").contains("/colour").doesNotContain("does not match schema");
    assertThat(seq()).isEqualTo(before);
  }

  /** Bad input on every endpoint: the right problem, and the event sequence does not move. */
  @Test
  void refusesBadInputOnEveryEndpointAndChangesNothing() {
    ok(call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"rest-bad-d\"}"), 201);
    String mission = ok(call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"rest-bad\"}"), 201).getString("id");
    long before = seq();
    String big = "{\"type\":\"x\",\"payload\":{\"blob\":\"" + "a".repeat(MAX_BODY) + "\"}}";
    String[] posts = {"/api/v1/devices", "/api/v1/devices/rest-bad-d/drain", "/api/v1/missions", "/api/v1/missions/batch",
        "/api/v1/missions/" + mission + "/cancel"};
    for (String path : posts) {
      problem("malformed " + path, call(HttpMethod.POST, path, "{\"type\":"), 400, "malformed-json");
      problem("wrong type " + path, call(HttpMethod.POST, path, "[1,2]"), 400, "validation-failed");
      problem("unknown member " + path, call(HttpMethod.POST, path, "{\"colour\":\"red\"}"), 400, "validation-failed");
      problem("oversize " + path, call(HttpMethod.POST, path, big), 413, "body-too-large");
      problem("content type " + path, call(HttpMethod.POST, path, "type=x", "text/plain", TOKEN, null, null), 415,
          "unsupported-media-type");
      problem("no token " + path, call(HttpMethod.POST, path, "{}", "application/json", null, null, null), 401, "unauthorized");
      problem("bad token " + path, call(HttpMethod.POST, path, "{}", "application/json", "wrong", null, null), 401,
          "unauthorized");
    }
    String[] gets = {"/api/v1/devices", "/api/v1/devices/rest-bad-d", "/api/v1/missions", "/api/v1/missions/" + mission,
        "/api/v1/cluster"};
    for (String path : gets) {
      HttpResponse<Buffer> r = call(HttpMethod.GET, path, null, null, null, null, null);
      problem("no token " + path, r, 401, "unauthorized");
      assertThat(r.getHeader("WWW-Authenticate")).startsWith("Bearer");
      problem("bad token " + path, call(HttpMethod.GET, path, null, null, "wrong", null, null), 401, "unauthorized");
    }
    problem("delete without token", call(HttpMethod.DELETE, "/api/v1/devices/rest-bad-d", null, null, null, null, null),
        401, "unauthorized");

    JsonObject p = problem("wrong types", call(HttpMethod.POST, "/api/v1/missions",
        "{\"type\":7,\"priority\":\"high\",\"timeoutSec\":0,\"maxAttempts\":101,\"requirements\":{\"minBattery\":120}}"),
        400, "validation-failed");
    assertThat(p.getJsonArray("errors").encode()).contains("/type").contains("/priority").contains("/timeoutSec")
        .contains("/maxAttempts").contains("/requirements/minBattery");
    problem("missing type", call(HttpMethod.POST, "/api/v1/missions", "{\"priority\":5}"), 400, "validation-failed");
    problem("no body", call(HttpMethod.POST, "/api/v1/missions", ""), 400, "body-required");
    problem("past deadline", call(HttpMethod.POST, "/api/v1/missions",
        "{\"type\":\"x\",\"deadline\":\"2001-01-01T00:00:00Z\"}"), 400, "validation-failed");
    problem("bad date", call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"x\",\"deadline\":\"tomorrow\"}"), 400,
        "validation-failed");
    problem("long key", call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"x\",\"idempotencyKey\":\"" + "k".repeat(201) + "\"}"),
        400, "validation-failed");
    problem("empty batch", call(HttpMethod.POST, "/api/v1/missions/batch", "{\"missions\":[]}"), 400, "validation-failed");
    problem("batch too big", call(HttpMethod.POST, "/api/v1/missions/batch",
        "{\"missions\":[{\"type\":\"a\"},{\"type\":\"a\"},{\"type\":\"a\"},{\"type\":\"a\"},{\"type\":\"a\"},{\"type\":\"a\"}]}"),
        400, "validation-failed");
    problem("bad batch item", call(HttpMethod.POST, "/api/v1/missions/batch",
        "{\"missions\":[{\"type\":\"a\"},{\"type\":\"a\",\"priority\":0}]}"), 400, "validation-failed");
    problem("bad device id", call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"has space\"}"), 400, "validation-failed");
    problem("leading dash", call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"-bad\"}"), 400, "validation-failed");
    problem("bad labels", call(HttpMethod.POST, "/api/v1/devices", "{\"labels\":{\"a\":1}}"), 400, "validation-failed");
    problem("existing device", call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"rest-bad-d\"}"), 409, "device-exists");
    problem("drain wrong type", call(HttpMethod.POST, "/api/v1/devices/rest-bad-d/drain", "{\"draining\":\"yes\"}"), 400,
        "validation-failed");
    problem("cancel reason type", call(HttpMethod.POST, "/api/v1/missions/" + mission + "/cancel", "{\"reason\":5}"), 400,
        "validation-failed");

    problem("unknown device", call(HttpMethod.GET, "/api/v1/devices/nope", null), 404, "device-not-found");
    problem("drain unknown", call(HttpMethod.POST, "/api/v1/devices/nope/drain", null), 404, "device-not-found");
    problem("delete unknown", call(HttpMethod.DELETE, "/api/v1/devices/nope", null), 404, "device-not-found");
    problem("unknown mission", call(HttpMethod.GET, "/api/v1/missions/nope", null), 404, "mission-not-found");
    problem("cancel unknown", call(HttpMethod.POST, "/api/v1/missions/nope/cancel", null), 404, "mission-not-found");

    problem("limit type", call(HttpMethod.GET, "/api/v1/missions?limit=many", null), 400, "validation-failed");
    problem("limit range", call(HttpMethod.GET, "/api/v1/missions?limit=0", null), 400, "validation-failed");
    problem("limit above range", call(HttpMethod.GET, "/api/v1/missions?limit=501", null), 400, "validation-failed");
    problem("unknown state", call(HttpMethod.GET, "/api/v1/missions?state=LOST", null), 400, "validation-failed");
    problem("bad cursor", call(HttpMethod.GET, "/api/v1/missions?after=garbage", null), 400, "invalid-cursor");
    problem("device state", call(HttpMethod.GET, "/api/v1/devices?state=SLEEPING", null), 400, "validation-failed");
    problem("device limit", call(HttpMethod.GET, "/api/v1/devices?limit=501", null), 400, "validation-failed");
    problem("unknown path", call(HttpMethod.GET, "/api/v1/satellites", null), 404, "not-found");

    assertThat(seq()).as("no bad request may change the control state").isEqualTo(before);
    assertThat(ok(call(HttpMethod.GET, "/api/v1/missions/" + mission, null), 200).getString("state")).isEqualTo("QUEUED");
    assertThat(ok(call(HttpMethod.GET, "/api/v1/devices/rest-bad-d", null), 200).getBoolean("draining")).isFalse();
  }
}
