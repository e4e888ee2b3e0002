package io.falconmind.center.api;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.app.Settings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The WebSocket and SSE feed over real sockets against the real state machine ({@link InProcessControlPlane}). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class FeedWebSocketTest {

  static final String TOKEN = "feed-token";
  static Vertx vertx;
  static WebClient client;
  static WebSocketClient wsClient;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    CenterConfig config = CenterConfig.from(Settings.load(null, Map.of(),
        Map.of("http.host", "127.0.0.1", "http.port", "0", "feed.bufferEvents", "4")));
    HttpVerticle http = new HttpVerticle("n1", config, TOKEN, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    vertx.deployVerticle(new InProcessControlPlane()).compose(id -> vertx.deployVerticle(http)).await(30, TimeUnit.SECONDS);
    port = http.actualPort();
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    wsClient = vertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  static String submit(String type) throws Exception {
    return client.post("/api/v1/missions").putHeader("Authorization", "Bearer " + TOKEN)
        .sendJsonObject(new JsonObject().put("type", type)).await(10, TimeUnit.SECONDS).bodyAsJsonObject().getString("id");
  }

  static List<JsonObject> open(String query, List<Integer> closeCode) throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    // Handlers are set on the connection's context as it completes, before any frame is read.
    wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/api/v1/feed" + query)).map(ws -> {
          ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
          ws.closeHandler(v -> closeCode.add((int) ws.closeStatusCode()));
          return ws;
        }).await(10, TimeUnit.SECONDS);
    return frames;
  }

  static void awaitUntil(String what, java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      vertx.timer(20).await(1, TimeUnit.SECONDS);
    }
  }

  @Test
  void resumesFromTheStorePastTheRingThenStreamsLiveEventsInOrder() throws Exception {
    String first = submit("feed-a");
    for (int i = 0; i < 9; i++) submit("feed-a");
    List<Integer> closed = new CopyOnWriteArrayList<>();
    List<JsonObject> frames = open("?since=0&token=" + TOKEN + "&types=mission.", closed);
    String live = submit("feed-b");
    awaitUntil("live event", () -> frames.stream().anyMatch(f -> live.equals(f.getString("missionId"))));
    List<Long> seqs = frames.stream().map(f -> f.getLong("seq")).toList();
    for (int i = 1; i < seqs.size(); i++) assertThat(seqs.get(i)).isEqualTo(seqs.get(i - 1) + 1);
    assertThat(frames.get(0).getString("missionId")).isEqualTo(first);
    assertThat(closed).isEmpty();
  }

  @Test
  void filtersByMissionAndRefusesAMissingToken() throws Exception {
    String id = submit("feed-c");
    List<Integer> closed = new CopyOnWriteArrayList<>();
    List<JsonObject> frames = open("?since=0&token=" + TOKEN + "&missionId=" + id, closed);
    submit("feed-d");
    client.post("/api/v1/missions/" + id + "/cancel").putHeader("Authorization", "Bearer " + TOKEN)
        .send().await(10, TimeUnit.SECONDS);
    awaitUntil("cancel event", () -> frames.stream().anyMatch(f -> "mission.canceled".equals(f.getString("type"))));
    assertThat(frames).allMatch(f -> id.equals(f.getString("missionId")));
    assertThat(frames).extracting(f -> f.getString("type")).containsExactly("mission.submitted", "mission.canceled");

    Throwable refused = wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/api/v1/feed")).map(ws -> (Throwable) null).otherwise(t -> t).await(10, TimeUnit.SECONDS);
    assertThat(refused).isNotNull();
    assertThat(refused.getMessage()).contains("401");
  }

  @Test
  void refusesAnInvalidSince() throws Exception {
    Buffer body = client.get("/api/v1/feed?since=-3").putHeader("Authorization", "Bearer " + TOKEN)
        .send().await(10, TimeUnit.SECONDS).body();
    assertThat(new JsonObject(body).getString("code")).isEqualTo("validation-failed");
  }

  @Test
  void streamsServerSentEvents() throws Exception {
    String id = submit("feed-sse");
    List<String> chunks = new CopyOnWriteArrayList<>();
    vertx.createHttpClient().request(io.vertx.core.http.HttpMethod.GET, port, "127.0.0.1",
            "/api/v1/feed/sse?since=0&missionId=" + id)
        .compose(req -> req.putHeader("Authorization", "Bearer " + TOKEN).send())
        .onSuccess(resp -> resp.handler(b -> chunks.add(b.toString())))
        .await(10, TimeUnit.SECONDS);
    awaitUntil("sse event", () -> String.join("", chunks).contains("event: mission.submitted"));
    assertThat(String.join("", chunks)).contains("id: ").contains("\"missionId\":\"" + id + "\"");
  }
}
