package io.falconmind.center.it;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event feed of one real node, over WebSocket and Server-Sent Events: order, filters, and
 * resumption with {@code since} (or {@code Last-Event-ID}) from memory and from PostgreSQL (the
 * node keeps only a few events in memory here) without gaps or duplicates.
 */
@Timeout(300)
class FeedIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static TestNode node;
  private static Vertx vertx;
  private static WebSocketClient client;
  private final List<WebSocket> open = new ArrayList<>();

  /** Frames received on one connection, and how it closed. */
  record Feed(WebSocket ws, List<JsonObject> frames, List<Integer> closed) {
    List<Long> seqs() {
      return frames.stream().filter(f -> f.containsKey("seq")).map(f -> f.getLong("seq")).toList();
    }
  }

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("feed.bufferEvents", "8", "feed.sessionQueueEvents", "16",
        "http.maxBodyBytes", String.valueOf(8 * 1024 * 1024)));
    vertx = Vertx.vertx();
    client = vertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) vertx.close().await(30, TimeUnit.SECONDS);
    if (node != null) node.close();
  }

  @AfterEach
  void closeFeeds() {
    open.forEach(ws -> ws.close());
  }

  private Feed connect(String query) throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    List<Integer> closed = new CopyOnWriteArrayList<>();
    // Handlers are attached on the connection's context as it completes, before any frame is read.
    WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort)
        .setURI("/api/v1/feed" + query).addHeader("Authorization", "Bearer " + node.node.adminToken()))
        .map(w -> {
          w.textMessageHandler(t -> frames.add(new JsonObject(t)));
          w.closeHandler(v -> closed.add((int) w.closeStatusCode()));
          return w;
        }).await(20, TimeUnit.SECONDS);
    open.add(ws);
    return new Feed(ws, frames, closed);
  }

  private static long seq() {
    return node.api.get("/api/v1/cluster").json().getLong("persistedSeq");
  }

  private static String submit(String type) {
    return node.api.submit(new JsonObject().put("type", type)).getString("id");
  }

  /** Every seq from {@code from} on, each once, in order, reaching at least {@code to} (others may follow). */
  private static void assertContiguous(List<Long> seqs, long from, long to) {
    assertThat(seqs).isNotEmpty();
    assertThat(seqs.get(0)).isEqualTo(from);
    for (int i = 1; i < seqs.size(); i++) assertThat(seqs.get(i)).as("after " + seqs.get(i - 1)).isEqualTo(seqs.get(i - 1) + 1);
    assertThat(seqs.get(seqs.size() - 1)).isGreaterThanOrEqualTo(to);
  }

  @Test
  void resumesFromPostgresPastTheMemoryBufferThenStreamsLiveEventsWithoutGaps() throws Exception {
    long since = seq();
    for (int i = 0; i < 30; i++) submit("feed-resume");
    long mid = seq();
    Feed feed = connect("?since=" + since);
    String live = submit("feed-resume-live");
    long end = seq();
    Eventually.until(WAIT, "events up to " + end, feed::seqs, s -> !s.isEmpty() && s.get(s.size() - 1) >= end);
    assertThat(mid - since).isGreaterThanOrEqualTo(30);
    assertContiguous(feed.seqs(), since + 1, end);
    assertThat(feed.frames()).anyMatch(f -> live.equals(f.getString("missionId")));
    assertThat(feed.closed()).isEmpty();
  }

  @Test
  void servesTheJdkWebSocketClientWhichAnnouncesAnEmptyBody() throws Exception {
    long since = seq();
    java.util.concurrent.CopyOnWriteArrayList<String> frames = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.net.http.WebSocket ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
        .header("Authorization", "Bearer " + node.node.adminToken())
        .buildAsync(java.net.URI.create("ws://127.0.0.1:" + node.httpPort + "/api/v1/feed?since=" + since),
            new java.net.http.WebSocket.Listener() {
              private final StringBuilder part = new StringBuilder();

              @Override
              public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data,
                                                                    boolean last) {
                part.append(data);
                if (last) {
                  frames.add(part.toString());
                  part.setLength(0);
                }
                w.request(1);
                return null;
              }
            })
        .get(10, TimeUnit.SECONDS);
    try {
      String id = submit("feed-jdk-client");
      Eventually.until(WAIT, "the submitted mission on the feed", () -> frames,
          f -> f.stream().anyMatch(t -> t.contains(id)));
    } finally {
      ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done");
    }
  }

  @Test
  void resumesAfterADisconnectExactlyWhereItStopped() throws Exception {
    Feed first = connect("?types=mission.");
    submit("feed-reconnect");
    submit("feed-reconnect");
    Eventually.until(WAIT, "two events", first::seqs, s -> s.size() >= 2);
    long last = first.seqs().get(first.seqs().size() - 1);
    first.ws().close().await(10, TimeUnit.SECONDS);
    for (int i = 0; i < 12; i++) submit("feed-reconnect");
    long end = seq();
    Feed second = connect("?types=mission.&since=" + last);
    Eventually.until(WAIT, "events up to " + end, second::seqs, s -> !s.isEmpty() && s.get(s.size() - 1) >= end);
    assertContiguous(second.seqs(), last + 1, end);
  }

  @Test
  void sendsOnlyTheEventsAskedFor() throws Exception {
    String mine = submit("feed-filter");
    Feed byMission = connect("?since=0&missionId=" + mine);
    Feed byType = connect("?types=mission.canceled");
    submit("feed-filter-other");
    assertThat(node.api.post("/api/v1/missions/" + mine + "/cancel", new JsonObject()).status()).isEqualTo(200);
    Eventually.until(WAIT, "cancel event", byMission::frames, f -> f.size() >= 2);
    assertThat(byMission.frames()).extracting(f -> f.getString("type")).containsExactly("mission.submitted", "mission.canceled");
    assertThat(byMission.frames()).allMatch(f -> mine.equals(f.getString("missionId")));
    JsonObject canceled = Eventually.until(WAIT, "typed event", byType::frames, f -> !f.isEmpty()).get(0);
    assertThat(canceled.getString("type")).isEqualTo("mission.canceled");
    assertThat(canceled.getJsonObject("mission").getString("state")).isEqualTo("CANCELED");
    assertThat(canceled.getLong("seq")).isPositive();
  }

  @Test
  void streamsTelemetryOnlyToClientsThatAskForIt() throws Exception {
    String token = node.api.register("feed-telemetry-1", new JsonObject());
    Feed telemetry = connect("?types=device.telemetry&deviceId=feed-telemetry-1");
    Feed plain = connect("?deviceId=feed-telemetry-1");
    try (TestDevice device = node.device("feed-telemetry-1", token)) {
      Eventually.until(WAIT, "telemetry frame", () -> {
        device.telemetry(new JsonObject().put("battery", 77).put("lat", 48.1).put("lon", 11.5));
        return telemetry.frames();
      }, f -> !f.isEmpty());
    }
    // its device.offline event must not land in another test's window of mission events
    node.api.awaitDeviceState("feed-telemetry-1", "OFFLINE", WAIT);
    JsonObject frame = telemetry.frames().get(0);
    assertThat(frame.getString("type")).isEqualTo("device.telemetry");
    assertThat(frame.getBoolean("soft")).isTrue();
    assertThat(frame.containsKey("seq")).isFalse();
    assertThat(plain.frames()).noneMatch(f -> "device.telemetry".equals(f.getString("type")));
  }

  @Test
  void closesAClientThatStopsReadingAndLetsItResumeWithoutLoss() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    List<Integer> closed = new CopyOnWriteArrayList<>();
    WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort)
        .setURI("/api/v1/feed?types=mission.submitted").addHeader("Authorization", "Bearer " + node.node.adminToken()))
        .map(w -> {
          w.textMessageHandler(t -> frames.add(new JsonObject(t)));
          w.closeHandler(v -> closed.add((int) w.closeStatusCode()));
          w.pause();
          return w;
        }).await(20, TimeUnit.SECONDS);
    open.add(ws);
    String blob = "x".repeat(1000);
    io.vertx.core.json.JsonArray batch = new io.vertx.core.json.JsonArray();
    for (int i = 0; i < 1000; i++) {
      batch.add(new JsonObject().put("type", "feed-flood").put("payload", new JsonObject().put("blob", blob)));
    }
    JsonObject body = new JsonObject().put("missions", batch);
    // Enough events to fill the socket buffers of both ends and then the session's queue.
    int rounds = 0;
    while (rounds < 10) {
      assertThat(node.api.post("/api/v1/missions/batch", body).status()).isEqualTo(201);
      rounds++;
    }
    long end = seq();
    ws.resume();
    Eventually.until(WAIT, "the slow client to be closed", () -> closed, c -> !c.isEmpty());
    JsonObject last = frames.get(frames.size() - 1);
    assertThat(closed.get(0)).isEqualTo(1013);
    assertThat(last.getString("type")).isEqualTo("feed.error");
    assertThat(last.getString("code")).isEqualTo("slow-consumer");
    long resumeSince = last.getLong("resumeSince");
    List<Long> received = frames.stream().filter(f -> f.containsKey("seq")).map(f -> f.getLong("seq")).toList();
    assertThat(received).isNotEmpty();
    assertThat(received.get(received.size() - 1)).isEqualTo(resumeSince);

    Feed resumed = connect("?types=mission.submitted&since=" + resumeSince);
    // catching up goes at the pace of a client that reads: it must not be closed as slow itself
    Eventually.until(WAIT, "the rest of the flood", resumed::seqs,
        x -> !resumed.closed().isEmpty() || !x.isEmpty() && x.get(x.size() - 1) >= end);
    List<JsonObject> got = resumed.frames();
    assertThat(resumed.closed()).as("the resumed client was closed after %s", got.isEmpty() ? "no frame" : got.get(got.size() - 1))
        .isEmpty();
    List<Long> rest = resumed.seqs();
    assertThat(rest.get(0)).isGreaterThan(resumeSince);
    assertThat(rest).doesNotHaveDuplicates().isSorted();
    java.util.Set<Long> all = new java.util.HashSet<>(received);
    for (long x : rest) assertThat(all.add(x)).as("seq " + x + " sent twice").isTrue();
    assertThat(all.stream().filter(x -> x <= end).count()).as("every mission.submitted event exactly once")
        .isEqualTo(rounds * 1000L);
  }

  @Test
  void streamsServerSentEventsThatResumeAfterTheLastEventId() throws Exception {
    String id = submit("feed-sse");
    HttpClient http = vertx.createHttpClient();
    try {
      StringBuilder first = sse(http, "?since=0&missionId=" + id, null);
      List<SseEvent> opened = Eventually.until(WAIT, "the submitted event", () -> SseEvent.parse(first), e -> !e.isEmpty());
      SseEvent submitted = opened.get(0);
      assertThat(submitted.event()).isEqualTo("mission.submitted");
      assertThat(submitted.data().getString("missionId")).isEqualTo(id);
      assertThat(submitted.data().getLong("seq")).isEqualTo(submitted.id());

      assertThat(node.api.post("/api/v1/missions/" + id + "/cancel", new JsonObject()).status()).isEqualTo(200);
      Eventually.until(WAIT, "the canceled event", () -> SseEvent.parse(first), e -> e.size() >= 2);
      StringBuilder resumed = sse(http, "?missionId=" + id, submitted.id());
      List<SseEvent> rest = Eventually.until(WAIT, "the event after " + submitted.id(), () -> SseEvent.parse(resumed),
          e -> !e.isEmpty());
      assertThat(rest).extracting(SseEvent::event).containsExactly("mission.canceled");
      assertThat(rest.get(0).id()).isGreaterThan(submitted.id());
    } finally {
      http.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void answersAPlainRequestOrANegativeSinceWithAProblem() throws Exception {
    Api.Response plain = node.api.get("/api/v1/feed");
    assertThat(plain.status()).as(plain.toString()).isEqualTo(400);
    assertThat(plain.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(plain.json().getString("code")).isEqualTo("websocket-required");
    for (String path : List.of("/api/v1/feed?since=-3", "/api/v1/feed/sse?since=-3")) {
      Api.Response negative = node.api.get(path);
      assertThat(negative.status()).as(path + ": " + negative).isEqualTo(400);
      assertThat(negative.json().getString("code")).as(path).isEqualTo("validation-failed");
    }
  }

  /** One Server-Sent Event: its {@code id} (the seq), {@code event} (the type) and {@code data}. */
  record SseEvent(long id, String event, JsonObject data) {
    /** The complete events (blank-line terminated) in the stream so far; comments skipped. */
    static List<SseEvent> parse(StringBuilder stream) {
      String text;
      synchronized (stream) {
        text = stream.toString();
      }
      List<SseEvent> events = new ArrayList<>();
      String[] blocks = text.split("\n\n", -1);
      for (int i = 0; i < blocks.length - 1; i++) {
        long id = -1;
        String event = null;
        JsonObject data = null;
        for (String line : blocks[i].split("\n")) {
          if (line.startsWith("id: ")) id = Long.parseLong(line.substring(4));
          else if (line.startsWith("event: ")) event = line.substring(7);
          else if (line.startsWith("data: ")) data = new JsonObject(line.substring(6));
        }
        if (event != null) events.add(new SseEvent(id, event, data));
      }
      return events;
    }
  }

  /** Opens the SSE feed and returns the growing text of its stream. */
  private static StringBuilder sse(HttpClient http, String query, Long lastEventId) throws Exception {
    StringBuilder stream = new StringBuilder();
    HttpClientResponse response = http.request(HttpMethod.GET, node.httpPort, "127.0.0.1", "/api/v1/feed/sse" + query)
        .compose(req -> {
          req.putHeader("Authorization", "Bearer " + node.node.adminToken());
          if (lastEventId != null) req.putHeader("Last-Event-ID", String.valueOf(lastEventId));
          return req.send();
        })
        .map(resp -> resp.handler(chunk -> {
          synchronized (stream) {
            stream.append(chunk.toString());
          }
        }))
        .await(20, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).isEqualTo("text/event-stream");
    return stream;
  }

  @Test
  void refusesAConnectionWithoutTheTokenOrWithABadSince() throws Exception {
    Throwable noToken = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort)
        .setURI("/api/v1/feed")).map(ws -> (Throwable) null).otherwise(t -> t).await(20, TimeUnit.SECONDS);
    assertThat(noToken).isInstanceOf(UpgradeRejectedException.class);
    assertThat(((UpgradeRejectedException) noToken).getStatus()).isEqualTo(401);
    Throwable badSince = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort)
        .setURI("/api/v1/feed?since=minus-one&token=" + node.node.adminToken()))
        .map(ws -> (Throwable) null).otherwise(t -> t).await(20, TimeUnit.SECONDS);
    assertThat(((UpgradeRejectedException) badSince).getStatus()).isEqualTo(400);
    Feed withQueryToken = connect("?token=" + node.node.adminToken());
    assertThat(withQueryToken.closed()).isEmpty();
  }
}
