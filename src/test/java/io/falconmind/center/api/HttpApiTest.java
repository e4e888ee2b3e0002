package io.falconmind.center.api;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.app.Settings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP layer over real sockets against the real state machine ({@link InProcessControlPlane}):
 * contract validation, problem mapping, authentication. The same behaviour against a whole node is
 * covered by {@code RestApiIT}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class HttpApiTest {

  static final String TOKEN = "test-admin-token";
  static Vertx vertx;
  static WebClient client;
  static int port;
  static InProcessControlPlane control;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    CenterConfig config = CenterConfig.from(Settings.load(null, Map.of(),
        Map.of("http.host", "127.0.0.1", "http.port", "0", "http.maxBodyBytes", "4096", "missions.maxBatch", "3")));
    HttpVerticle http = new HttpVerticle("n1", config, TOKEN, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    control = new InProcessControlPlane();
    vertx.deployVerticle(control)
        .compose(id -> vertx.deployVerticle(http))
        .await(30, TimeUnit.SECONDS);
    port = http.actualPort();
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  static HttpResponse<Buffer> call(HttpMethod method, String path, String body, String... headers) throws Exception {
    HttpRequest<Buffer> req = client.request(method, path).putHeader("Authorization", "Bearer " + TOKEN);
    for (int i = 0; i < headers.length; i += 2) req.putHeader(headers[i], headers[i + 1]);
    Future<HttpResponse<Buffer>> f = body == null ? req.send()
        : req.putHeader("Content-Type", req.headers().contains("Content-Type") ? req.headers().get("Content-Type")
            : "application/json").sendBuffer(Buffer.buffer(body));
    return f.await(20, TimeUnit.SECONDS);
  }

  static JsonObject problem(HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
    JsonObject p = r.bodyAsJsonObject();
    assertThat(p.getString("code")).as(p.encode()).isEqualTo(code);
    assertThat(p.getInteger("status")).isEqualTo(status);
    assertThat(p.getString("type")).isEqualTo(Problem.TYPE_PREFIX + code);
    assertThat(p.getString("title")).isNotBlank();
    return p;
  }

  @Test
  void submitsAReadsAMission() throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/api/v1/missions",
        "{\"type\":\"survey\",\"requirements\":{\"capabilities\":[\"camera\"]}}");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    JsonObject m = r.bodyAsJsonObject();
    assertThat(m.getString("state")).isEqualTo("QUEUED");
    assertThat(m.getInteger("priority")).isEqualTo(50);
    assertThat(m.getInteger("maxAttempts")).isEqualTo(3);
    assertThat(r.getHeader("Location")).isEqualTo("/api/v1/missions/" + m.getString("id"));
    HttpResponse<Buffer> read = call(HttpMethod.GET, "/api/v1/missions/" + m.getString("id"), null);
    assertThat(read.bodyAsJsonObject().getString("id")).isEqualTo(m.getString("id"));
  }

  @Test
  void replaysAnIdempotentSubmitAndRefusesAReusedKey() throws Exception {
    String body = "{\"type\":\"scan\",\"priority\":70}";
    HttpResponse<Buffer> first = call(HttpMethod.POST, "/api/v1/missions", body, "Idempotency-Key", "k-1");
    HttpResponse<Buffer> again = call(HttpMethod.POST, "/api/v1/missions", "{ \"priority\": 70.0, \"type\": \"scan\" }",
        "Idempotency-Key", "k-1");
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(again.statusCode()).as(again.bodyAsString()).isEqualTo(200);
    assertThat(again.bodyAsJsonObject().getString("id")).isEqualTo(first.bodyAsJsonObject().getString("id"));
    problem(call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"other\",\"idempotencyKey\":\"k-1\"}"),
        409, "idempotency-key-reused");
  }

  @Test
  void namesEveryInvalidField() throws Exception {
    JsonObject p = problem(call(HttpMethod.POST, "/api/v1/missions",
        "{\"type\":\"\",\"priority\":101,\"colour\":\"red\",\"requirements\":{\"near\":{\"lat\":91,\"lon\":0,\"radiusKm\":0}}}"),
        400, "validation-failed");
    JsonArray errors = p.getJsonArray("errors");
    assertThat(errors.encode()).contains("/priority").contains("/type").contains("/requirements/near/lat")
        .contains("/requirements/near/radiusKm").contains("/colour").doesNotContain("does not match schema");
  }

  @Test
  void refusesMalformedJsonWrongTypesAndMissingFields() throws Exception {
    problem(call(HttpMethod.POST, "/api/v1/missions", "{\"type\":"), 400, "malformed-json");
    problem(call(HttpMethod.POST, "/api/v1/missions", "{\"type\":42}"), 400, "validation-failed");
    problem(call(HttpMethod.POST, "/api/v1/missions", "{\"priority\":5}"), 400, "validation-failed");
    problem(call(HttpMethod.POST, "/api/v1/missions", ""), 400, "body-required");
    problem(call(HttpMethod.POST, "/api/v1/missions", "type=x", "Content-Type", "text/plain"), 415,
        "unsupported-media-type");
    problem(call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"x\",\"deadline\":\"2001-01-01T00:00:00Z\"}"), 400,
        "validation-failed");
    problem(call(HttpMethod.GET, "/api/v1/missions?limit=abc", null), 400, "validation-failed");
    problem(call(HttpMethod.GET, "/api/v1/missions?limit=501", null), 400, "validation-failed");
  }

  @Test
  void refusesAnOversizeBody() throws Exception {
    String big = "{\"type\":\"x\",\"payload\":{\"blob\":\"" + "a".repeat(5000) + "\"}}";
    problem(call(HttpMethod.POST, "/api/v1/missions", big), 413, "body-too-large");
  }

  @Test
  void refusesMissingAndWrongTokens() throws Exception {
    HttpResponse<Buffer> none = client.get("/api/v1/missions").send().await(10, TimeUnit.SECONDS);
    problem(none, 401, "unauthorized");
    assertThat(none.getHeader("WWW-Authenticate")).startsWith("Bearer");
    problem(client.get("/api/v1/devices").putHeader("Authorization", "Bearer nope").send().await(10, TimeUnit.SECONDS),
        401, "unauthorized");
    assertThat(client.get("/health/live").send().await(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @Test
  void registersListsDrainsAndRemovesDevices() throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"drone-1\",\"labels\":{\"site\":\"a\"}}");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    assertThat(r.bodyAsJsonObject().getString("token")).isNotBlank();
    assertThat(r.bodyAsJsonObject().getJsonObject("device").containsKey("tokenHash")).isFalse();
    problem(call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"drone-1\"}"), 409, "device-exists");
    HttpResponse<Buffer> generated = call(HttpMethod.POST, "/api/v1/devices", "{}");
    assertThat(generated.statusCode()).isEqualTo(201);
    problem(call(HttpMethod.POST, "/api/v1/devices", "{\"id\":\"-bad id\"}"), 400, "validation-failed");
    HttpResponse<Buffer> page = call(HttpMethod.GET, "/api/v1/devices?limit=1", null);
    assertThat(page.bodyAsJsonObject().getJsonArray("items")).hasSize(1);
    assertThat(page.bodyAsJsonObject().getString("next")).isNotNull();
    HttpResponse<Buffer> drained = call(HttpMethod.POST, "/api/v1/devices/drone-1/drain", null);
    assertThat(drained.statusCode()).as(drained.bodyAsString()).isEqualTo(200);
    assertThat(drained.bodyAsJsonObject().getBoolean("draining")).isTrue();
    assertThat(call(HttpMethod.DELETE, "/api/v1/devices/drone-1", null).statusCode()).isEqualTo(204);
    problem(call(HttpMethod.GET, "/api/v1/devices/drone-1", null), 404, "device-not-found");
    problem(call(HttpMethod.DELETE, "/api/v1/devices/drone-1", null), 404, "device-not-found");
  }

  @Test
  void cancelsOnceAndThenConflicts() throws Exception {
    String id = call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"survey\"}").bodyAsJsonObject().getString("id");
    HttpResponse<Buffer> c = call(HttpMethod.POST, "/api/v1/missions/" + id + "/cancel", "{\"reason\":\"test\"}");
    assertThat(c.statusCode()).as(c.bodyAsString()).isEqualTo(200);
    assertThat(c.bodyAsJsonObject().getString("state")).isEqualTo("CANCELED");
    problem(call(HttpMethod.POST, "/api/v1/missions/" + id + "/cancel", null), 409, "mission-finished");
    problem(call(HttpMethod.POST, "/api/v1/missions/nope/cancel", null), 404, "mission-not-found");
    problem(call(HttpMethod.GET, "/api/v1/missions/nope", null), 404, "mission-not-found");
  }

  @Test
  void submitsABatch() throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/api/v1/missions/batch",
        "{\"missions\":[{\"type\":\"a\",\"idempotencyKey\":\"b-1\"},{\"type\":\"b\",\"idempotencyKey\":\"b-1\"}]}");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    JsonArray items = r.bodyAsJsonObject().getJsonArray("items");
    assertThat(items.getJsonObject(0).getInteger("status")).isEqualTo(201);
    assertThat(items.getJsonObject(1).getInteger("status")).isEqualTo(409);
    assertThat(items.getJsonObject(1).getJsonObject("problem").getString("code")).isEqualTo("idempotency-key-reused");
    problem(call(HttpMethod.POST, "/api/v1/missions/batch", "{\"missions\":[]}"), 400, "validation-failed");
    problem(call(HttpMethod.POST, "/api/v1/missions/batch",
        "{\"missions\":[{\"type\":\"a\"},{\"type\":\"a\"},{\"type\":\"a\"},{\"type\":\"a\"}]}"), 400, "validation-failed");
  }

  @Test
  void listsMissionsByState() throws Exception {
    call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"listed\"}");
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/api/v1/missions?state=QUEUED,RUNNING&state=ASSIGNED&type=listed&limit=5", null);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray("items")).isNotEmpty();
    problem(call(HttpMethod.GET, "/api/v1/missions?state=LOST", null), 400, "validation-failed");
    problem(call(HttpMethod.GET, "/api/v1/missions?after=zz", null), 400, "invalid-cursor");
  }

  @Test
  void answersWithoutALeaderWith503AndRetryAfterAndIsNotReady() throws Exception {
    control.leader = false;
    try {
      HttpResponse<Buffer> r = call(HttpMethod.POST, "/api/v1/missions", "{\"type\":\"survey\"}");
      problem(r, 503, "no-leader");
      assertThat(r.getHeader("Retry-After")).isNotBlank();
      HttpResponse<Buffer> ready = client.get("/health/ready").send().await(10, TimeUnit.SECONDS);
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.bodyAsJsonObject().getJsonObject("checks").getJsonObject("control").getString("status"))
          .isEqualTo("DOWN");
      assertThat(ready.bodyAsJsonObject().getJsonObject("checks").getJsonObject("store").getString("status"))
          .isEqualTo("UP");
    } finally {
      control.leader = true;
    }
  }

  @Test
  void servesHealthMetricsAndTheContract() throws Exception {
    HttpResponse<Buffer> ready = client.get("/health/ready").send().await(10, TimeUnit.SECONDS);
    assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
    HttpResponse<Buffer> metrics = client.get("/metrics").send().await(10, TimeUnit.SECONDS);
    assertThat(metrics.bodyAsString()).contains("center_missions{").contains("center_queue_depth")
        .contains("center_devices{").contains("center_submit_to_assign_seconds{quantile=\"0.99\"}").contains("center_submit_to_assign_buckets_seconds_bucket")
        .contains("jvm_memory_used_bytes");
    HttpResponse<Buffer> doc = client.get("/openapi.yaml").send().await(10, TimeUnit.SECONDS);
    assertThat(doc.bodyAsString()).startsWith("openapi: 3.1.0");
    problem(call(HttpMethod.GET, "/api/v1/nothing-here", null), 404, "not-found");
    assertThat(call(HttpMethod.GET, "/api/v1/cluster", null).bodyAsJsonObject().getString("role")).isEqualTo("LEADER");
  }
}
