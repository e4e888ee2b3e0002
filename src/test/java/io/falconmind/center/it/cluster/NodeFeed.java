package io.falconmind.center.it.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The live feed of one node ({@code /api/v1/feed}), followed from seq 0 for the whole life of a
 * test: when the connection closes (the node died, or dropped a slow reader) it reconnects every
 * few hundred ms with {@code since=<last seq seen>}, so across restarts of the node it must receive
 * every event exactly once, in order. Checks that on the fly: each event's seq is the previous one
 * plus one. Feeds the mission events to an {@link AttemptAudit}.
 *
 * <p>Thread-safe reads; frames arrive on a Vert.x event loop.
 */
final class NodeFeed implements AutoCloseable {

  /** A {@code cluster.leader} event as this feed received it. */
  record LeaderEvent(long seq, long term, String leader, long receivedAt) {
  }

  private final Vertx vertx;
  private final ClusterNode node;
  private final WebSocketClient client;
  private final AttemptAudit audit;
  private final List<String> seqViolations = new ArrayList<>();
  private final List<LeaderEvent> leaderEvents = new ArrayList<>();
  private final List<String> errors = new ArrayList<>();
  /** seq -> what the event was (type, mission or device, attempt): compared across nodes. */
  private final java.util.Map<Long, String> fingerprints = new java.util.HashMap<>();
  /** "since=N at HH:MM:SS" per (re)connect, to tie a violation to a resume. */
  private final List<String> resumes = new ArrayList<>();
  private long lastSeq;
  private long events;
  private int connects;
  private volatile boolean closed;

  NodeFeed(Vertx vertx, ClusterNode node) {
    this.vertx = vertx;
    this.node = node;
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(1 << 20).setMaxMessageSize(16 << 20).setConnectTimeout(2000));
    this.audit = new AttemptAudit(node.id);
  }

  void open() {
    connect();
  }

  private void connect() {
    if (closed) return;
    long since;
    synchronized (this) {
      since = lastSeq;
    }
    client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.ports.http())
            .setURI("/api/v1/feed?since=" + since).addHeader("Authorization", "Bearer " + LocalCluster.ADMIN_TOKEN))
        .onSuccess(ws -> {
          synchronized (this) {
            connects++;
            resumes.add("since=" + since + " at " + java.time.LocalTime.now().withNano(0));
          }
          ws.textMessageHandler(this::onFrame);
          ws.closeHandler(v -> retrySoon());
          ws.exceptionHandler(e -> { });
        })
        .onFailure(e -> retrySoon());
  }

  private void retrySoon() {
    if (!closed) vertx.setTimer(300, id -> connect());
  }

  private void onFrame(String text) {
    String t = text.trim();
    if (t.startsWith("[")) {
      io.vertx.core.json.JsonArray array = new io.vertx.core.json.JsonArray(t);
      for (int i = 0; i < array.size(); i++) onEntry(array.getJsonObject(i));
    } else {
      onEntry(new JsonObject(t));
    }
  }

  private void onEntry(JsonObject f) {
    Long seq = f.getLong("seq");
    if (seq == null) {
      // a soft signal, or a notice such as feed.error (the close that follows makes us resume)
      if ("feed.error".equals(f.getString("type"))) {
        synchronized (this) {
          errors.add(f.encode());
        }
      }
      return;
    }
    String type = f.getString("type", "");
    synchronized (this) {
      if (seq <= lastSeq) {
        violation("seq " + seq + " after " + lastSeq + " (" + type + "); resumes " + resumes);
        return;
      }
      if (seq != lastSeq + 1) violation("gap: seq " + seq + " after " + lastSeq + " (" + type + "); resumes " + resumes);
      lastSeq = seq;
      events++;
      fingerprints.put(seq, fingerprint(type, f));
      if (type.equals("cluster.leader")) {
        JsonObject d = f.getJsonObject("detail", new JsonObject());
        leaderEvents.add(new LeaderEvent(seq, d.getLong("term", -1L), d.getString("leader"), System.currentTimeMillis()));
      }
      audit.accept(seq, type, f.getJsonObject("mission"), f.getJsonObject("detail"));
    }
  }

  private static String fingerprint(String type, JsonObject f) {
    JsonObject m = f.getJsonObject("mission");
    if (m != null) return type + " " + m.getString("id") + " attempt " + m.getInteger("attempt", 0) + " " + m.getString("state");
    String device = f.getString("deviceId");
    return device == null ? type + " " + f.getJsonObject("detail", new JsonObject()).encode() : type + " " + device;
  }

  /** What the event of {@code seq} was, or null when this feed did not see it. */
  synchronized String fingerprint(long seq) {
    return fingerprints.get(seq);
  }

  synchronized java.util.Set<Long> seqs() {
    return new java.util.TreeSet<>(fingerprints.keySet());
  }

  synchronized List<String> resumes() {
    return List.copyOf(resumes);
  }

  private void violation(String what) {
    if (seqViolations.size() < 100) seqViolations.add(node.id + ": " + what);
  }

  ClusterNode node() {
    return node;
  }

  synchronized long lastSeq() {
    return lastSeq;
  }

  synchronized long events() {
    return events;
  }

  synchronized int connects() {
    return connects;
  }

  synchronized List<String> seqViolations() {
    return List.copyOf(seqViolations);
  }

  synchronized List<String> auditViolations() {
    return audit.violations();
  }

  synchronized String terminal(String missionId) {
    return audit.terminal(missionId);
  }

  synchronized long terminalSeq(String missionId) {
    return audit.terminalSeq(missionId);
  }

  /** The {@code feed.error} notices the node sent before closing the feed. */
  synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  synchronized List<LeaderEvent> leaderEvents() {
    return List.copyOf(leaderEvents);
  }

  @Override
  public void close() {
    closed = true;
    client.close();
  }
}
