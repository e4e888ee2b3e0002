import io.falconmind.center.sim.Fleet;
import io.falconmind.center.sim.SimOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Mission throughput benchmark of one center node: a simulated fleet (in this process, missions
 * finish at once) and an open-loop submit load in rate steps, measured from the outside.
 *
 * <p>Run with Java's source launcher against the shaded jar:
 * {@code java -cp target/cluster-center.jar bench/MissionBench.java --help}.
 * {@code bench/mission-bench.sh} starts a fresh node and runs this against it.
 *
 * <p>Measures per step: submit rate offered and acknowledged, SUCCEEDED events per second on the
 * live feed, submit acknowledge latency (HTTP round trip, from the moment the batch was due, so a
 * slow center cannot hide queueing: no coordinated omission), submit-to-assign and
 * submit-to-succeeded latency (server timestamps from the feed events), and the node's heap (from
 * /metrics). Everything is bounded: step time, missions in flight, total missions, drain time.
 */
public class MissionBench {

  // ---- options ------------------------------------------------------------------------------

  static final class Options {
    URI api = URI.create("http://127.0.0.1:8080");
    String mqtt = "127.0.0.1:1883";
    String token;
    int devices = 200;
    String prefix = "bench";
    int capacity = 1;
    List<Integer> rates = List.of(500, 1000, 2000, 3000);
    int stepSec = 20;
    int batch = 10;
    int connections = 8;
    long maxMissions = 1_000_000;
    int drainSec = 30;
    int warmupSec = 5;
    int readySec = 180;
    String feedTypes = "mission.assigned,mission.succeeded,mission.failed,mission.expired,mission.canceled";
    String sim = "inproc";
    Path out;
    String command;
    long nodePid = -1;
    String build;
    String nodeDataDir;
    String[] args;

    static Options parse(String[] args) {
      Options o = new Options();
      o.args = args.clone();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--help") || a.equals("-h")) {
          System.out.println(usage());
          System.exit(0);
        }
        if (!a.startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("bad argument " + a);
        String v = args[++i];
        switch (a) {
          case "--api": o.api = URI.create(v); break;
          case "--mqtt": o.mqtt = v; break;
          case "--token": o.token = v; break;
          case "--devices": o.devices = Integer.parseInt(v); break;
          case "--prefix": o.prefix = v; break;
          case "--capacity": o.capacity = Integer.parseInt(v); break;
          case "--rates": o.rates = Arrays.stream(v.split(",")).map(String::trim).map(Integer::valueOf).toList(); break;
          case "--step-sec": o.stepSec = Integer.parseInt(v); break;
          case "--batch": o.batch = Integer.parseInt(v); break;
          case "--connections": o.connections = Integer.parseInt(v); break;
          case "--max-missions": o.maxMissions = Long.parseLong(v); break;
          case "--drain-sec": o.drainSec = Integer.parseInt(v); break;
          case "--warmup-sec": o.warmupSec = Integer.parseInt(v); break;
          case "--ready-sec": o.readySec = Integer.parseInt(v); break;
          case "--feed-types": o.feedTypes = v; break;
          case "--sim": o.sim = v; break;
          case "--out": o.out = Path.of(v); break;
          case "--command": o.command = v; break;
          case "--node-pid": o.nodePid = Long.parseLong(v); break;
          case "--build": o.build = v; break;
          case "--node-data-dir": o.nodeDataDir = v; break;
          default: throw new IllegalArgumentException("unknown option " + a);
        }
      }
      String host = o.api.getHost();
      if (!("127.0.0.1".equals(host) || "localhost".equals(host) || "::1".equals(host))
          || !(o.mqtt.startsWith("127.0.0.1:") || o.mqtt.startsWith("localhost:"))) {
        throw new IllegalArgumentException("the benchmark only targets localhost");
      }
      if (o.token == null) o.token = System.getenv("CENTER_AUTH_ADMIN_TOKEN");
      if (o.token == null) throw new IllegalArgumentException("--token or CENTER_AUTH_ADMIN_TOKEN is required");
      if (o.batch < 1 || o.batch > 1000) throw new IllegalArgumentException("--batch must be 1..1000");
      if (o.stepSec < 1 || o.stepSec > 600) throw new IllegalArgumentException("--step-sec must be 1..600");
      if (!o.sim.equals("inproc") && !o.sim.equals("none")) throw new IllegalArgumentException("--sim is inproc or none");
      return o;
    }

    static String usage() {
      return String.join("\n",
          "Usage: java -cp target/cluster-center.jar bench/MissionBench.java [options]",
          "  --api URL            center REST API, localhost only (default http://127.0.0.1:8080)",
          "  --mqtt HOST:PORT     center MQTT server, localhost only (default 127.0.0.1:1883)",
          "  --token T            admin token (default env CENTER_AUTH_ADMIN_TOKEN)",
          "  --devices N          simulated devices (default 200)",
          "  --prefix P           device id prefix (default bench)",
          "  --capacity N         concurrent missions per device (default 1)",
          "  --rates R,R,...      submit rate steps in missions/s (default 500,1000,2000,3000)",
          "  --step-sec S         seconds per step (default 20)",
          "  --batch N            missions per request; 1 = POST /missions, else /missions/batch (default 10)",
          "  --connections N      HTTP connections for submits (default 8)",
          "  --max-missions N     hard cap on missions submitted (default 1000000)",
          "  --drain-sec S        wait after the last step for outstanding missions (default 30)",
          "  --warmup-sec S       unrecorded warm-up at the first rate before the steps (default 5)",
          "  --feed-types T       feed type filter (default: assigned, succeeded and the other ends of missions)",
          "  --sim inproc|none    run the fleet here, or expect devices already online (default inproc)",
          "  --out FILE           write the results as Markdown",
          "  --command TEXT       the command line to record in the results",
          "  --node-pid PID       node process, for its resident memory and CPU time",
          "  --build TEXT         the build measured (e.g. the git commit), recorded in the results",
          "  --node-data-dir DIR  the node's data directory, to find its embedded PostgreSQL's CPU time");
    }
  }

  // ---- samples ------------------------------------------------------------------------------

  /** A growable sample array; percentiles by sorting (exact, like an HdrHistogram without buckets). */
  static final class Samples {
    private long[] values = new long[1024];
    private int size;

    synchronized void add(long v) {
      if (size == values.length) values = Arrays.copyOf(values, size * 2);
      values[size++] = v;
    }

    synchronized int size() {
      return size;
    }

    synchronized long[] sorted() {
      long[] copy = Arrays.copyOf(values, size);
      Arrays.sort(copy);
      return copy;
    }

    static long percentile(long[] sorted, double p) {
      if (sorted.length == 0) return -1;
      int rank = (int) Math.ceil(p / 100.0 * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
  }

  /** What one rate step measured. */
  static final class Step {
    final int rate;
    final LongAdder sent = new LongAdder();
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder succeeded = new LongAdder();
    final LongAdder assigned = new LongAdder();
    final LongAdder failed = new LongAdder();
    final Samples ackMs = new Samples();
    final Samples serviceMs = new Samples();
    final Samples assignMs = new Samples();
    final Samples e2eMs = new Samples();
    volatile boolean saturated;
    volatile long maxBacklog;
    long startNanos;
    long endNanos;
    double heapMb = -1;
    double rssMb = -1;
    long nodeTicks0 = -1;
    long childTicks0 = -1;
    long benchTicks0 = -1;
    double nodeCpuPct = -1;
    double childCpuPct = -1;
    double benchCpuPct = -1;
    double load1 = -1;
    double nodeAssignP50Ms = -1;
    double nodeAssignP99Ms = -1;

    Step(int rate) {
      this.rate = rate;
    }

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }
  }

  // ---- the run ------------------------------------------------------------------------------

  private final Options o;
  private final Vertx vertx;
  private final WebClient http;
  private final String base;
  private final List<Step> steps = new ArrayList<>();
  private volatile Step current;
  private final LongAdder totalAccepted = new LongAdder();
  private final LongAdder totalSucceeded = new LongAdder();
  private final LongAdder totalFailed = new LongAdder();
  private final LongAdder feedEvents = new LongAdder();
  private final AtomicLong lastSeq = new AtomicLong(-1);
  private final List<String> notes = new ArrayList<>();
  private Fleet fleet;
  private WebSocket feed;
  private WebSocketClient feedClient;
  private volatile boolean closing;
  private final LongAdder feedReconnects = new LongAdder();

  MissionBench(Options o) {
    this.o = o;
    this.vertx = Vertx.vertx();
    int port = o.api.getPort() > 0 ? o.api.getPort() : 80;
    this.http = WebClient.create(vertx, new WebClientOptions().setDefaultHost(o.api.getHost())
        .setDefaultPort(port).setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(o.connections).setMaxWaitQueueSize(10_000));
    this.base = "/api/v1";
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("MissionBench: " + e.getMessage());
      System.err.println(Options.usage());
      System.exit(2);
      return;
    }
    MissionBench bench = new MissionBench(o);
    int code = 0;
    try {
      bench.run();
    } catch (Exception e) {
      System.err.println("MissionBench failed: " + e);
      code = 1;
    } finally {
      bench.close();
    }
    System.exit(code);
  }

  void run() throws Exception {
    say("waiting for %s/health/ready", o.api);
    waitUntil("node ready", o.readySec, () -> http.get("/health/ready").timeout(2000).send()
        .map(r -> r.statusCode() == 200).otherwise(false));
    if (o.sim.equals("inproc")) startFleet();
    waitForDevicesOnline();
    openFeed();
    await(vertx.timer(1000), 5);
    long budget = o.maxMissions;
    if (o.warmupSec > 0) {
      long planned = Math.min(budget, (long) o.rates.get(0) * o.warmupSec);
      budget -= planned;
      say("warm-up (not recorded)");
      runStep(new Step(o.rates.get(0)), planned, o.warmupSec);
    }
    for (int rate : o.rates) {
      if (!nodeAlive()) {
        notes.add("**The node process exited during the run (see its log); the steps after it are missing.**");
        say("the node process is gone; stopping");
        break;
      }
      Step step = new Step(rate);
      steps.add(step);
      long planned = Math.min(budget, (long) rate * o.stepSec);
      budget -= planned;
      if (planned <= 0) break;
      current = step;
      runStep(step, planned, o.stepSec);
      sampleNode(step);
      printStep(step);
    }
    if (nodeAlive()) drain();
    String report = report();
    System.out.println();
    System.out.println(report);
    if (o.out != null) {
      Files.createDirectories(o.out.toAbsolutePath().getParent());
      Files.writeString(o.out, report);
      say("results written to %s", o.out);
    }
  }

  private void startFleet() throws Exception {
    String[] simArgs = {"--api", o.api.toString(), "--mqtt", o.mqtt, "--token", o.token,
        "--devices", String.valueOf(o.devices), "--prefix", o.prefix, "--duration-ms", "0",
        "--capacity", String.valueOf(o.capacity), "--battery-drain", "0", "--telemetry-ms", "1000",
        "--register-concurrency", "16", "--seed", "1"};
    fleet = new Fleet(vertx, SimOptions.parse(simArgs), o.token);
    say("starting %d simulated devices in this process", o.devices);
    await(fleet.start(), 10);
    try {
      await(fleet.allConnected(), o.readySec);
    } catch (Exception e) {
      throw new IllegalStateException("devices did not all connect within " + o.readySec + " s: "
          + fleet.stats().line());
    }
    say("fleet: %s", fleet.stats().line());
  }

  /** The center's own view: every device of the prefix listed ONLINE by {@code GET /devices}. */
  private void waitForDevicesOnline() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.readySec);
    int online = -1;
    while (System.nanoTime() < deadline) {
      online = countOnline();
      if (online >= o.devices || online < 0) break;
      await(vertx.timer(500), 5);
    }
    if (online < 0) {
      notes.add("GET /devices could not be read; devices taken as online once connected.");
      say("GET /devices unreadable; relying on the fleet's own connection count");
      await(vertx.timer(2000), 5);
    } else if (online < o.devices) {
      throw new IllegalStateException("only " + online + " of " + o.devices + " devices online at the center");
    } else {
      say("%d devices online at the center", online);
    }
  }

  /** Pages through {@code GET /devices?state=ONLINE}; -1 when the answer cannot be read. */
  private int countOnline() throws Exception {
    int count = 0;
    String after = null;
    for (int page = 0; page < 1000; page++) {
      var req = http.get(base + "/devices").addQueryParam("state", "ONLINE").addQueryParam("limit", "500")
          .putHeader("Authorization", "Bearer " + o.token).timeout(10_000);
      if (after != null) req.addQueryParam("after", after);
      JsonObject body = await(req.send().map(r -> r.statusCode() == 200 ? r.bodyAsJsonObject() : null)
          .otherwise((JsonObject) null), 15);
      if (body == null || body.getJsonArray("items") == null) return -1;
      JsonArray items = body.getJsonArray("items");
      for (int i = 0; i < items.size(); i++) {
        JsonObject d = items.getJsonObject(i);
        if (d.getString("id", "").startsWith(o.prefix + "-") && "ONLINE".equals(d.getString("state"))) count++;
      }
      after = body.getString("next");
      if (after == null) return count;
    }
    return count;
  }

  private void openFeed() throws Exception {
    feedClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(1 << 20).setMaxMessageSize(16 << 20));
    feed = await(connectFeed(null), 10);
    say("feed open (%s)", o.feedTypes);
  }

  /** Connects the feed; resumes after {@code since} when given, so a reconnect loses nothing. */
  private Future<WebSocket> connectFeed(Long since) {
    int port = o.api.getPort() > 0 ? o.api.getPort() : 80;
    String uri = base + "/feed?token=" + URLEncoder.encode(o.token, StandardCharsets.UTF_8)
        + "&types=" + URLEncoder.encode(o.feedTypes, StandardCharsets.UTF_8)
        + (since == null ? "" : "&since=" + since);
    return feedClient.connect(new WebSocketConnectOptions().setHost(o.api.getHost()).setPort(port)
        .setURI(uri).addHeader("Authorization", "Bearer " + o.token)).map(ws -> {
          ws.textMessageHandler(this::onFeedText);
          ws.closeHandler(v -> onFeedClosed(ws));
          return ws;
        });
  }

  private void onFeedClosed(WebSocket ws) {
    if (closing) return;
    say("the feed closed (%s %s); resuming after seq %d", ws.closeStatusCode(), ws.closeReason(), lastSeq.get());
    feedReconnects.increment();
    if (feedReconnects.sum() > 20) {
      notes.add("The feed closed more than 20 times; counting stopped.");
      return;
    }
    vertx.setTimer(200, t -> connectFeed(lastSeq.get() < 0 ? null : lastSeq.get())
        .onSuccess(next -> feed = next)
        .onFailure(e -> say("feed reconnect failed: %s", e.getMessage())));
  }

  private void onFeedText(String text) {
    String t = text.trim();
    if (t.startsWith("[")) {
      JsonArray arr = new JsonArray(t);
      for (int i = 0; i < arr.size(); i++) onEvent(arr.getJsonObject(i));
    } else if (t.startsWith("{")) {
      onEvent(new JsonObject(t));
    }
  }

  private void onEvent(JsonObject e) {
    Long seq = e.getLong("seq");
    if (seq != null) {
      if (seq <= lastSeq.get()) return; // seen before a resume
      lastSeq.set(seq);
    }
    feedEvents.increment();
    String type = e.getString("type", "");
    Step step = current;
    JsonObject m = e.getJsonObject("mission");
    long created = m == null ? -1 : millis(m.getString("createdAt"));
    if (type.equals("mission.succeeded")) {
      totalSucceeded.increment();
      if (step != null) {
        step.succeeded.increment();
        long finished = m == null ? -1 : millis(m.getString("finishedAt"));
        if (created > 0 && finished > 0) step.e2eMs.add(finished - created);
      }
    } else if (type.equals("mission.assigned")) {
      if (step != null) {
        step.assigned.increment();
        long at = millis(e.getString("at"));
        if (created > 0 && at > 0) step.assignMs.add(at - created);
      }
    } else if (type.equals("mission.failed") || type.equals("mission.expired") || type.equals("mission.canceled")) {
      totalFailed.increment();
      if (step != null) step.failed.increment();
    }
  }

  private static long millis(String iso) {
    if (iso == null) return -1;
    try {
      return Instant.parse(iso).toEpochMilli();
    } catch (RuntimeException ex) {
      return -1;
    }
  }

  /** Open-loop load: batches fall due on a fixed schedule whatever the center's answers. */
  private boolean nodeAlive() {
    return o.nodePid <= 0 || ProcessHandle.of(o.nodePid).map(ProcessHandle::isAlive).orElse(false);
  }

  private void runStep(Step step, long planned, int stepSec) throws Exception {
    say("step %d missions/s for %d s (%d missions, batches of %d over %d connections)", step.rate,
        stepSec, planned, o.batch, o.connections);
    Promise<Void> done = Promise.promise();
    Context ctx = vertx.getOrCreateContext();
    int maxInFlight = o.connections * 2;
    long backlogLimit = Math.max(o.batch * 4L, step.rate * 2L);
    step.nodeTicks0 = cpuTicks(o.nodePid);
    step.childTicks0 = postgresTicks(o.nodePid, o.nodeDataDir);
    step.benchTicks0 = cpuTicks(ProcessHandle.current().pid());
    ctx.runOnContext(v -> {
      step.startNanos = System.nanoTime();
      long[] sent = {0};
      int[] inFlight = {0};
      long[] timer = {0};
      timer[0] = vertx.setPeriodic(2, t -> {
        long now = System.nanoTime();
        long due = Math.min(planned, (long) ((now - step.startNanos) / 1e9 * step.rate));
        step.maxBacklog = Math.max(step.maxBacklog, due - sent[0]);
        if (due - sent[0] > backlogLimit && !step.saturated) {
          step.saturated = true;
          say("  the center falls behind %d missions/s (backlog %d): step saturated", step.rate, due - sent[0]);
        }
        while (inFlight[0] < maxInFlight && (due - sent[0] >= o.batch || (due == planned && sent[0] < planned))) {
          int n = (int) Math.min(o.batch, planned - sent[0]);
          long dueAt = step.startNanos + (long) ((sent[0] + n) * 1e9 / step.rate);
          sent[0] += n;
          inFlight[0]++;
          submit(step, n, dueAt).onComplete(ar -> inFlight[0]--);
        }
        boolean timeUp = now - step.startNanos > TimeUnit.SECONDS.toNanos(stepSec) + TimeUnit.SECONDS.toNanos(5);
        if ((sent[0] >= planned && inFlight[0] == 0) || timeUp) {
          vertx.cancelTimer(timer[0]);
          step.endNanos = System.nanoTime();
          if (timeUp && sent[0] < planned) say("  step cut at its time bound: %d of %d missions sent", sent[0], planned);
          done.complete();
        }
      });
    });
    await(done.future(), stepSec + 60);
    step.load1 = loadAverage();
    step.nodeCpuPct = cpuPercent(step.nodeTicks0, cpuTicks(o.nodePid), step.seconds());
    step.childCpuPct = cpuPercent(step.childTicks0, postgresTicks(o.nodePid, o.nodeDataDir), step.seconds());
    step.benchCpuPct = cpuPercent(step.benchTicks0, cpuTicks(ProcessHandle.current().pid()), step.seconds());
  }

  /** user + system CPU time of a process in clock ticks (USER_HZ, 100 on Linux); -1 if unknown. */
  static long cpuTicks(long pid) {
    if (pid <= 0) return -1;
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU ticks of the node's PostgreSQL: the server started under its data directory (it detaches
   * from the node) and its backends, plus any other child process of the node. Backends that ended
   * during the step are missed, so this is a lower bound; -1 if nothing is found.
   */
  static long postgresTicks(long nodePid, String dataDir) {
    long sum = 0;
    boolean found = false;
    List<ProcessHandle> roots = new ArrayList<>();
    if (nodePid > 0) ProcessHandle.of(nodePid).ifPresent(p -> p.children().forEach(roots::add));
    if (dataDir != null) {
      ProcessHandle.allProcesses().filter(p -> {
        try {
          String cmd = Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).replace('\0', ' ');
          return cmd.contains("postgres") && cmd.contains(dataDir);
        } catch (IOException | RuntimeException e) {
          return false;
        }
      }).forEach(roots::add);
    }
    java.util.Set<Long> seen = new java.util.HashSet<>();
    for (ProcessHandle root : roots) {
      List<ProcessHandle> all = new ArrayList<>();
      all.add(root);
      root.descendants().forEach(all::add);
      for (ProcessHandle p : all) {
        if (!seen.add(p.pid())) continue;
        long t = cpuTicks(p.pid());
        if (t >= 0) {
          sum += t;
          found = true;
        }
      }
    }
    return found ? sum : -1;
  }

  /** The machine's 1-minute load average; -1 if unknown. */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static String pct(double v) {
    return v < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", v);
  }

  /** Share of one core, in percent (200 = two cores busy). */
  static double cpuPercent(long ticks0, long ticks1, double seconds) {
    if (ticks0 < 0 || ticks1 < 0 || seconds <= 0) return -1;
    return (ticks1 - ticks0) / 100.0 / seconds * 100.0;
  }

  private Future<Void> submit(Step step, int n, long dueAt) {
    long sentAt = System.nanoTime();
    step.sent.add(n);
    Future<HttpResponse<Buffer>> req;
    if (n == 1 && o.batch == 1) {
      req = http.post(base + "/missions").putHeader("Authorization", "Bearer " + o.token)
          .timeout(30_000).sendJsonObject(mission());
    } else {
      JsonArray missions = new JsonArray();
      for (int i = 0; i < n; i++) missions.add(mission());
      req = http.post(base + "/missions/batch").putHeader("Authorization", "Bearer " + o.token)
          .timeout(30_000).sendJsonObject(new JsonObject().put("missions", missions));
    }
    return req.map(r -> {
      long end = System.nanoTime();
      step.ackMs.add((end - dueAt) / 1_000_000);
      step.serviceMs.add((end - sentAt) / 1_000_000);
      if (r.statusCode() == 201 || r.statusCode() == 200) {
        if (n == 1 && o.batch == 1) {
          step.accepted.increment();
          totalAccepted.increment();
        } else {
          JsonArray items = r.bodyAsJsonObject().getJsonArray("items", new JsonArray());
          for (int i = 0; i < items.size(); i++) {
            if (items.getJsonObject(i).containsKey("problem")) step.refused.increment();
            else {
              step.accepted.increment();
              totalAccepted.increment();
            }
          }
        }
      } else {
        step.refused.add(n);
        if (step.refused.sum() <= n) say("  refused: %d %s", r.statusCode(), abbreviate(r.bodyAsString()));
      }
      return (Void) null;
    }).recover(e -> {
      step.refused.add(n);
      if (step.refused.sum() <= n) say("  submit failed: %s", e.getMessage());
      return Future.succeededFuture();
    });
  }

  private static JsonObject mission() {
    return new JsonObject().put("type", "bench").put("payload", new JsonObject().put("n", 1));
  }

  private void sampleNode(Step step) {
    try {
      String text = await(http.get("/metrics").putHeader("Authorization", "Bearer " + o.token)
          .timeout(10_000).send().map(HttpResponse::bodyAsString), 15);
      double heap = heapBytes(text);
      step.heapMb = heap < 0 ? -1 : heap / (1024.0 * 1024.0);
      step.nodeAssignP50Ms = metric(text, "center_submit_to_assign_seconds{", "quantile=\"0.5\"") * 1000;
      step.nodeAssignP99Ms = metric(text, "center_submit_to_assign_seconds{", "quantile=\"0.99\"") * 1000;
    } catch (Exception e) {
      say("  /metrics unreadable: %s", e.getMessage());
    }
    if (o.nodePid > 0) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + o.nodePid + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            step.rssMb = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
          }
        }
      } catch (IOException | RuntimeException e) {
        // the node is gone or not on this host: leave it out
      }
    }
  }

  /** The value of the first sample of a metric whose labels contain {@code label}; -1 if absent. */
  static double metric(String prometheus, String prefix, String label) {
    if (prometheus == null) return -1;
    for (String line : prometheus.split("\n")) {
      if (line.startsWith(prefix) && line.contains(label)) {
        String[] parts = line.trim().split("\\s+");
        try {
          return Double.parseDouble(parts[parts.length - 1]);
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** Sum of {@code jvm_memory_used_bytes{area="heap",...}} over the memory pools. */
  static double heapBytes(String prometheus) {
    if (prometheus == null) return -1;
    double sum = 0;
    boolean any = false;
    for (String line : prometheus.split("\n")) {
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
        String[] parts = line.trim().split("\\s+");
        try {
          sum += Double.parseDouble(parts[parts.length - 1]);
          any = true;
        } catch (NumberFormatException e) {
          // skip a malformed sample
        }
      }
    }
    return any ? sum : -1;
  }

  private void drain() throws Exception {
    current = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.drainSec);
    while (System.nanoTime() < deadline && totalSucceeded.sum() + totalFailed.sum() < totalAccepted.sum()) {
      await(vertx.timer(250), 5);
    }
    long outstanding = totalAccepted.sum() - totalSucceeded.sum() - totalFailed.sum();
    say("drained: %d accepted, %d succeeded, %d failed/expired/canceled, %d outstanding",
        totalAccepted.sum(), totalSucceeded.sum(), totalFailed.sum(), outstanding);
  }

  // ---- output -------------------------------------------------------------------------------

  private void printStep(Step s) {
    long[] ack = s.ackMs.sorted();
    long[] asg = s.assignMs.sorted();
    say("  -> acked %.0f/s, succeeded %.0f/s, ack p50/p99 %d/%d ms, assign p50/p99 %d/%d ms, heap %.0f MB, CPU %% node %s pg %s bench %s%s",
        s.accepted.sum() / s.seconds(), s.succeeded.sum() / s.seconds(), Samples.percentile(ack, 50),
        Samples.percentile(ack, 99), Samples.percentile(asg, 50), Samples.percentile(asg, 99), s.heapMb,
        pct(s.nodeCpuPct), pct(s.childCpuPct), pct(s.benchCpuPct),
        s.saturated ? " (saturated)" : "");
  }

  private String report() {
    StringBuilder sb = new StringBuilder();
    sb.append("# Mission benchmark — ").append(LocalDate.now()).append("\n\n");
    sb.append("Command:\n\n```\n").append(o.command != null ? o.command : commandLine()).append("\n```\n\n");
    if (o.build != null) sb.append("Build: `").append(o.build).append("`\n\n");
    sb.append("Setup: one node, ").append(o.devices).append(" simulated devices (")
        .append(o.sim.equals("inproc") ? "in the benchmark process" : "external")
        .append(", capacity ").append(o.capacity).append(", missions finish at once), open-loop submit in ")
        .append(o.batch == 1 ? "single `POST /missions`" : "`POST /missions/batch` of " + o.batch)
        .append(" over ").append(o.connections).append(" HTTP connections, ").append(o.stepSec)
        .append(" s per step. Node, devices and load generator share the machine.\n\n");
    sb.append("| target/s | submitted/s | acked/s | succeeded/s | refused | ack p50 ms | ack p99 ms | ack max ms | assign p50 ms | assign p99 ms | e2e p50 ms | e2e p99 ms | node assign p50/p99 ms | heap MB | RSS MB | CPU node/pg/bench % | load1 | note |\n");
    sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Step s : steps) {
      if (s.endNanos == 0) continue;
      long[] ack = s.ackMs.sorted();
      long[] asg = s.assignMs.sorted();
      long[] e2e = s.e2eMs.sorted();
      double sec = s.seconds();
      sb.append(String.format(Locale.ROOT,
          "| %d | %.0f | %.0f | %.0f | %d | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %.1f | %s |\n",
          s.rate, s.sent.sum() / sec, s.accepted.sum() / sec, s.succeeded.sum() / sec, s.refused.sum(),
          Samples.percentile(ack, 50), Samples.percentile(ack, 99), ack.length == 0 ? -1 : ack[ack.length - 1],
          Samples.percentile(asg, 50), Samples.percentile(asg, 99), Samples.percentile(e2e, 50),
          Samples.percentile(e2e, 99),
          s.nodeAssignP50Ms < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f/%.1f", s.nodeAssignP50Ms, s.nodeAssignP99Ms),
          s.heapMb < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", s.heapMb),
          s.rssMb < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", s.rssMb),
          pct(s.nodeCpuPct) + "/" + pct(s.childCpuPct) + "/" + pct(s.benchCpuPct),
          s.load1,
          s.saturated ? "saturated (backlog " + s.maxBacklog + ")" : ""));
    }
    long outstanding = totalAccepted.sum() - totalSucceeded.sum() - totalFailed.sum();
    sb.append("\nTotals: ").append(totalAccepted.sum()).append(" missions acknowledged, ")
        .append(totalSucceeded.sum()).append(" SUCCEEDED on the feed, ").append(totalFailed.sum())
        .append(" failed/expired/canceled, ").append(outstanding).append(" not finished after a ")
        .append(o.drainSec).append(" s drain; ").append(feedEvents.sum()).append(" feed events, last seq ")
        .append(lastSeq.get()).append(feedReconnects.sum() > 0 ? ", feed resumed " + feedReconnects.sum() + " times" : "")
        .append(".\n");
    if (fleet != null) sb.append("Fleet: ").append(fleet.stats().line()).append(".\n");
    for (String n : notes) sb.append("\n").append(n).append("\n");
    sb.append("\nColumns: *submitted/s* missions sent per second; *acked/s* missions the center answered with a\n")
        .append("mission (201); *succeeded/s* `mission.succeeded` events on the feed during the step; *ack* the HTTP\n")
        .append("round trip of a submit measured from the moment its batch fell due (includes waiting for a free\n")
        .append("connection); *assign* the `mission.assigned` event's `at` minus the mission's `createdAt`;\n")
        .append("*e2e* `finishedAt` minus `createdAt` of SUCCEEDED missions; *node assign* the node's own\n")
        .append("`center_submit_to_assign_seconds` quantiles (first assignments, recent window); *heap* the node's\n")
        .append("`jvm_memory_used_bytes{area=\"heap\"}` at the end of the step; *RSS* its resident memory;\n")
        .append("*CPU* the node JVM's, its child processes' (embedded PostgreSQL) and the benchmark process's (load generator, feed reader and all simulated\n")
        .append("devices) CPU time during the step, in percent of one core; *load1* the machine's 1-minute load\n")
        .append("average at the end of the step (above the core count, other processes competed for the CPU).\n");
    sb.append("\n## Machine\n\n```\n").append(machine()).append("```\n");
    return sb.toString();
  }

  private String commandLine() {
    List<String> shown = new ArrayList<>(Arrays.asList(o.args));
    int t = shown.indexOf("--token");
    if (t >= 0 && t + 1 < shown.size()) shown.set(t + 1, "<token>");
    return "java -cp target/cluster-center.jar bench/MissionBench.java " + String.join(" ", shown);
  }

  private static String machine() {
    StringBuilder sb = new StringBuilder();
    sb.append("$ nproc\n").append(exec("nproc"));
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          sb.append("cpu: ").append(line.substring(line.indexOf(':') + 1).trim()).append('\n');
          break;
        }
      }
    } catch (IOException e) {
      sb.append("cpu: unknown\n");
    }
    sb.append("$ free -h\n").append(exec("free", "-h"));
    sb.append("$ java -version\n").append(exec("java", "-version"));
    sb.append("$ uname -srm\n").append(exec("uname", "-srm"));
    sb.append("$ uptime\n").append(exec("uptime"));
    sb.append("$ cat /proc/pressure/cpu\n").append(exec("cat", "/proc/pressure/cpu"));
    return sb.toString();
  }

  private static String exec(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      StringBuilder out = new StringBuilder();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) out.append(line).append('\n');
      }
      p.waitFor(10, TimeUnit.SECONDS);
      return out.toString();
    } catch (IOException e) {
      return "(" + e.getMessage() + ")\n";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)\n";
    }
  }

  // ---- plumbing -----------------------------------------------------------------------------

  interface Check {
    Future<Boolean> check();
  }

  private void waitUntil(String what, int seconds, Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (o.nodePid > 0 && !ProcessHandle.of(o.nodePid).map(ProcessHandle::isAlive).orElse(false)) {
        throw new IllegalStateException(what + ": the node process " + o.nodePid + " is gone");
      }
      if (Boolean.TRUE.equals(await(check.check(), 15))) return;
      await(vertx.timer(500), 5);
    }
    throw new IllegalStateException(what + ": not reached within " + seconds + " s");
  }

  private static <T> T await(Future<T> f, int seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  private static String abbreviate(String s) {
    if (s == null) return "";
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  private static void say(String format, Object... args) {
    System.out.printf(Locale.ROOT, "[bench %tT] " + format + "%n", prepend(System.currentTimeMillis(), args));
  }

  private static Object[] prepend(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private void close() {
    closing = true;
    try {
      if (feed != null) feed.close();
      if (fleet != null) await(fleet.stop(), 15);
    } catch (Exception e) {
      say("fleet stop: %s", e.getMessage());
    }
    try {
      await(vertx.close(), 15);
    } catch (Exception e) {
      // exiting anyway
    }
  }
}
