package io.falconmind.center.it.cluster;

import io.falconmind.center.sim.Fleet;
import io.falconmind.center.sim.SimOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Cluster benchmarks, run by {@code bench/failover-bench.sh}:
 * <ol>
 *   <li><b>failover</b>: a cluster of 3 voters and 1 learner under light load; {@code kill -9} of the
 *       leader, repeatedly. Measures from the kill to the first {@code cluster.leader} event of the new
 *       term on a survivor's feed, and to the first submit committed through a survivor (submits are
 *       tried every 20 ms), then restarts the killed node and waits until it rejoined;</li>
 *   <li><b>throughput</b>: a standalone node, then a 3-node cluster, each with its simulated fleet
 *       spread over its nodes and open-loop submits in rate steps spread over its nodes; sustained
 *       missions/s and submit-acknowledge latency;</li>
 *   <li><b>event-bus bytes per mission</b>: {@code center_raft_sent_bytes_total} and
 *       {@code center_raft_stream_bytes_total} of every node of the 3-node cluster before and after a
 *       fixed number of missions run to SUCCEEDED.</li>
 * </ol>
 */
public final class ClusterBench {

  record Options(int iterations, List<Integer> rates, int stepSec, int devices, int bytesMissions, int batch,
                 boolean failover, boolean throughput, String electionTimeoutMs, String heartbeatPeriodSec,
                 String heartbeatTimeoutSec, String nodeHeap, Path workDir, Path jar, Path out, String command) {

    static Options parse(String[] args) {
      int iterations = 10;
      List<Integer> rates = List.of(250, 500, 1000, 1500);
      int stepSec = 15;
      int devices = 120;
      int bytesMissions = 2000;
      int batch = 10;
      boolean failover = true;
      boolean throughput = true;
      String election = "1000";
      String hbPeriod = "1";
      String hbTimeout = "3";
      String heap = "768m";
      Path work = Path.of("target", "cluster-bench", String.valueOf(System.currentTimeMillis()));
      Path jar = Path.of("target", "cluster-center.jar");
      Path out = null;
      String command = "bench/failover-bench.sh " + String.join(" ", args);
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--help")) {
          System.out.println(USAGE);
          System.exit(0);
        }
        if (a.equals("--no-failover")) {
          failover = false;
          continue;
        }
        if (a.equals("--no-throughput")) {
          throughput = false;
          continue;
        }
        if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
        String v = args[++i];
        switch (a) {
          case "--iterations" -> iterations = Integer.parseInt(v);
          case "--rates" -> rates = Arrays.stream(v.split(",")).map(String::trim).map(Integer::valueOf).toList();
          case "--step-sec" -> stepSec = Integer.parseInt(v);
          case "--devices" -> devices = Integer.parseInt(v);
          case "--bytes-missions" -> bytesMissions = Integer.parseInt(v);
          case "--batch" -> batch = Integer.parseInt(v);
          case "--election-timeout-ms" -> election = v;
          case "--heartbeat-period-sec" -> hbPeriod = v;
          case "--heartbeat-timeout-sec" -> hbTimeout = v;
          case "--node-heap" -> heap = v;
          case "--work-dir" -> work = Path.of(v);
          case "--out" -> out = Path.of(v);
          case "--command" -> command = v;
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      return new Options(iterations, rates, stepSec, devices, bytesMissions, batch, failover, throughput, election,
          hbPeriod, hbTimeout, heap, work.toAbsolutePath(), jar.toAbsolutePath(), out, command);
    }

    static final String USAGE = String.join("\n",
        "Usage: bench/failover-bench.sh [options]",
        "  --iterations N            leader kills (default 10)",
        "  --election-timeout-ms MS  raft.electionTimeoutMs of the failover cluster (default 1000, the node default)",
        "  --heartbeat-period-sec S  raft.heartbeatPeriodSec (default 1)",
        "  --heartbeat-timeout-sec S raft.heartbeatTimeoutSec (default 3)",
        "  --rates R,R,...           throughput steps in missions/s (default 250,500,1000,1500)",
        "  --step-sec S              seconds per step (default 15)",
        "  --devices N               simulated devices, spread over the nodes (default 120)",
        "  --batch N                 missions per POST /missions/batch (default 10)",
        "  --bytes-missions N        missions for the event-bus bytes figure (default 2000)",
        "  --node-heap SIZE          -Xmx of each node in the throughput runs (default 768m)",
        "  --no-failover | --no-throughput   skip a part",
        "  --out FILE                also write the results as Markdown");
  }

  private final Options o;
  private final StringBuilder report = new StringBuilder();

  private ClusterBench(Options o) {
    this.o = o;
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("cluster bench: " + e.getMessage() + "\n" + Options.USAGE);
      System.exit(2);
      return;
    }
    int code = 0;
    ClusterBench bench = new ClusterBench(o);
    try {
      bench.run();
    } catch (Exception | AssertionError e) {
      e.printStackTrace();
      bench.line("\n**The run stopped early: " + e + "**");
      code = 1;
    }
    bench.write();
    System.exit(code);
  }

  private void run() throws Exception {
    line("# Cluster benchmarks " + Instant.now());
    line("");
    line("Machine: " + Machine.describe() + ".");
    line("Command: `" + o.command() + "`; build " + build() + ". Node logs: `" + o.workDir() + "`.");
    if (o.failover()) failover();
    if (o.throughput()) {
      Throughput one = throughput("standalone node", 1);
      Throughput three = throughput("3-node cluster", 3);
      line("");
      line("### Throughput, 1 node vs 3 nodes");
      line("");
      line(String.format("Sustained: the highest step up to which every step kept up (succeeded/s at least 95%% of the offered rate): standalone %s, 3-node cluster %s.",
          one.sustained(), three.sustained()));
    }
  }

  // ---- failover -------------------------------------------------------------------------------

  private void failover() throws Exception {
    LocalCluster.Spec spec = new LocalCluster.Spec().nodes(4)
        .set("raft.voters", "3").set("raft.learners", "1").set("cluster.bootstrapExpect", "3")
        .set("raft.electionTimeoutMs", o.electionTimeoutMs()).set("raft.heartbeatPeriodSec", o.heartbeatPeriodSec())
        .set("raft.heartbeatTimeoutSec", o.heartbeatTimeoutSec()).set("cluster.voterGraceSec", "5");
    line("");
    line("## Failover: kill -9 of the leader, " + o.iterations() + " times");
    line("");
    line(String.format("4 nodes (3 voters, 1 learner that replaces a lost voter), one shared PostgreSQL; raft.electionTimeoutMs %s, "
            + "heartbeatPeriodSec %s, heartbeatTimeoutSec %s, cluster.voterGraceSec 5. Light load: 4 probe devices, 5 missions/s over REST. "
            + "Node JVMs: %s.", o.electionTimeoutMs(), o.heartbeatPeriodSec(), o.heartbeatTimeoutSec(),
        String.join(" ", ClusterNode.FAULT_TEST_JVM)));
    line("");
    line("| # | leader killed | new leader | kill → cluster.leader event ms | kill → first committed submit ms | restart → rejoined ms | load1 |");
    line("|---:|---|---|---:|---:|---:|---:|");
    Samples toLeader = new Samples();
    Samples toCommit = new Samples();
    try (FaultHarness h = FaultHarness.start(o.workDir().resolve("failover"), o.jar(), spec,
        new FaultHarness.Load(4, 100, 200, 30, 120_000))) {
      h.checks.awaitSchedulingResumed(System.currentTimeMillis(), 3, Duration.ofSeconds(60));
      for (int i = 1; i <= o.iterations(); i++) {
        ClusterView before = h.cluster.awaitComposition(3, 1, 0, Duration.ofSeconds(180));
        ClusterNode leader = h.cluster.node(before.leaderNode());
        List<ClusterNode> survivors = h.cluster.serving().stream().filter(n -> n != leader).toList();
        long oldTerm = before.term();
        long t0;
        long committedAt;
        // The probe runs only around the kill: its missions are real and the devices run them too.
        try (CommitProbe probe = new CommitProbe(h.cluster, survivors)) {
          t0 = System.currentTimeMillis();
          leader.kill9();
          committedAt = probe.awaitFirstCommitAfter(t0, Duration.ofSeconds(120));
        }
        long leaderEventAt = firstLeaderEventAfter(h, survivors, oldTerm, Duration.ofSeconds(30));
        ClusterView after = h.cluster.awaitFormed(Duration.ofSeconds(60));
        long restartAt = System.currentTimeMillis();
        h.cluster.restart(leader, Duration.ofSeconds(180));
        long rejoinMs = System.currentTimeMillis() - restartAt;
        long leaderMs = leaderEventAt < 0 ? -1 : leaderEventAt - t0;
        long commitMs = committedAt - t0;
        if (leaderMs >= 0) toLeader.add(leaderMs);
        toCommit.add(commitMs);
        line(String.format("| %d | %s | %s | %d | %d | %d | %s |", i, leader.id, after.leaderNode(), leaderMs, commitMs,
            rejoinMs, load1()));
      }
      h.load.stop();
      ClusterChecks.Round round = h.checks.run(Duration.ofSeconds(60));
      line("");
      line(String.format("Failover: kill → new leader's `cluster.leader` event p50 **%d ms**, max %d ms; "
              + "kill → first committed submit p50 **%d ms**, max **%d ms** (%d kills).",
          toLeader.percentile(50), toLeader.max(), toCommit.percentile(50), toCommit.max(), toCommit.size()));
      line("Invariants over the run: " + round.summary() + (round.problems().isEmpty() ? "; every invariant held."
          : "; **" + round.problems().size() + " problem(s)**: " + round.problems().subList(0, Math.min(10, round.problems().size()))));
    }
  }

  /** Arrival time of the first cluster.leader event of a term above {@code oldTerm} on a survivor's feed; -1 if none came. */
  private static long firstLeaderEventAfter(FaultHarness h, List<ClusterNode> survivors, long oldTerm, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      long first = Long.MAX_VALUE;
      for (NodeFeed f : h.feeds) {
        if (!survivors.contains(f.node())) continue;
        for (NodeFeed.LeaderEvent e : f.leaderEvents()) {
          if (e.term() > oldTerm) first = Math.min(first, e.receivedAt());
        }
      }
      if (first != Long.MAX_VALUE) return first;
      sleep(20);
    }
    return -1;
  }

  /**
   * Submits a new mission every 20 ms to the survivors in turn, each tried once with a short
   * timeout, and remembers when each success was sent and answered.
   */
  private static final class CommitProbe implements AutoCloseable {
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService senders = Executors.newFixedThreadPool(32);
    private final List<long[]> successes = new ArrayList<>();
    private final AtomicInteger n = new AtomicInteger();
    private final List<NodeHttp> clients = new ArrayList<>();

    CommitProbe(LocalCluster cluster, List<ClusterNode> survivors) {
      for (ClusterNode s : survivors) clients.add(new NodeHttp(s.ports.http(), LocalCluster.ADMIN_TOKEN, Duration.ofSeconds(5)));
      String run = "probe-" + System.nanoTime();
      ticker.scheduleAtFixedRate(() -> senders.execute(() -> {
        int i = n.incrementAndGet();
        long sent = System.currentTimeMillis();
        NodeHttp.Reply r = clients.get(i % clients.size()).post("/api/v1/missions",
            new JsonObject().put("type", "failover-probe").put("requirements", new JsonObject().put("kind", ProbeDevice.KIND)),
            run + "-" + i);
        if (r.status() == 201 || r.status() == 200) {
          synchronized (successes) {
            successes.add(new long[] {sent, System.currentTimeMillis()});
          }
        }
      }), 0, 20, TimeUnit.MILLISECONDS);
    }

    /** When the first submit sent after {@code t0} was acknowledged. */
    long awaitFirstCommitAfter(long t0, Duration wait) {
      long deadline = System.nanoTime() + wait.toNanos();
      while (System.nanoTime() < deadline) {
        synchronized (successes) {
          long first = successes.stream().filter(s -> s[0] > t0).mapToLong(s -> s[1]).min().orElse(-1);
          // Answers arrive out of order: wait a little for an earlier one still on its way.
          if (first > 0 && System.currentTimeMillis() - first > 300) return first;
        }
        sleep(20);
      }
      throw new AssertionError("no submit was committed within " + wait + " of the kill");
    }

    @Override
    public void close() throws InterruptedException {
      ticker.shutdownNow();
      senders.shutdown();
      senders.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  // ---- throughput -----------------------------------------------------------------------------

  /** The steps of one configuration. */
  private record Throughput(String name, List<OpenLoopSubmitter.Step> steps) {
    /** The highest rate up to which every step kept up (succeeded/s at least 95 % of the offered rate). */
    String sustained() {
      int best = -1;
      for (OpenLoopSubmitter.Step s : steps) {
        if (s.perSecond(s.succeeded) < 0.95 * s.rate) break;
        best = s.rate;
      }
      return best < 0 ? "not even the first step" : best + " missions/s";
    }
  }

  private Throughput throughput(String name, int nodes) throws Exception {
    LocalCluster.Spec spec = new LocalCluster.Spec().nodes(nodes)
        .jvm(List.of("-Xmx" + o.nodeHeap()))
        .set("raft.electionTimeoutMs", "1000").set("raft.heartbeatPeriodSec", "1").set("raft.heartbeatTimeoutSec", "3")
        .set("scheduler.tickMs", "100").set("mqtt.instances", "0").set("postgres.poolSize", "8")
        .set("mqtt.offlineGraceSec", "10");
    if (nodes == 1) spec.set("cluster.enabled", "false").set("raft.voters", "1").set("raft.learners", "0");
    else spec.set("raft.voters", "3").set("raft.learners", "0").set("cluster.bootstrapExpect", "3");
    line("");
    line("## Throughput: " + name);
    line("");
    line(String.format("%d node(s), node JVM -Xmx%s, shared PostgreSQL in the benchmark JVM (fsync off); %d simulated devices "
            + "(capacity 1, missions finish at once) spread over the nodes; open-loop POST /missions/batch of %d, "
            + "spread over the nodes, %d s per step after a 5 s warm-up.", nodes, o.nodeHeap(), o.devices(), o.batch(), o.stepSec()));
    line("");
    List<OpenLoopSubmitter.Step> steps = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    LocalCluster cluster = LocalCluster.start(o.workDir().resolve(nodes == 1 ? "standalone" : "cluster3"), o.jar(), spec,
        Duration.ofSeconds(240));
    List<Fleet> fleets = new ArrayList<>();
    try {
      int per = Math.max(1, o.devices() / nodes);
      for (int i = 0; i < nodes; i++) {
        ClusterNode n = cluster.nodes().get(i);
        SimOptions sim = SimOptions.parse(new String[] {"--api", "http://127.0.0.1:" + n.ports.http(),
            "--mqtt", "127.0.0.1:" + n.ports.mqtt(), "--token", LocalCluster.ADMIN_TOKEN, "--devices", String.valueOf(per),
            "--prefix", "tp" + (i + 1), "--duration-ms", "0", "--capacity", "1", "--battery-drain", "0",
            "--telemetry-ms", "1000", "--register-concurrency", "8", "--seed", String.valueOf(i + 1)});
        Fleet fleet = new Fleet(vertx, sim, LocalCluster.ADMIN_TOKEN);
        fleets.add(fleet);
        fleet.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      for (Fleet f : fleets) f.allConnected().toCompletionStage().toCompletableFuture().get(180, TimeUnit.SECONDS);
      awaitOnline(cluster, per * nodes);
      SucceededCounter counter = new SucceededCounter(vertx, cluster.nodes().get(0));
      OpenLoopSubmitter submitter = new OpenLoopSubmitter(vertx,
          cluster.nodes().stream().map(n -> n.ports.http()).toList(), LocalCluster.ADMIN_TOKEN, o.batch(), 8);
      OpenLoopSubmitter.Step warm = new OpenLoopSubmitter.Step(o.rates().get(0));
      counter.current = warm;
      submitter.run(warm, 5);
      counter.current = null;
      awaitDrained(List.of(), warm, counter, Duration.ofSeconds(60));
      // Bytes per mission on a quiet cluster, before the steps leave a backlog behind.
      String bytes = nodes > 1 ? bytesPerMission(cluster, submitter, counter) : null;
      line("| target/s | acked/s | succeeded/s | refused | ack p50 ms | ack p99 ms | ack max ms | load1 |");
      line("|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (int rate : o.rates()) {
        OpenLoopSubmitter.Step s = new OpenLoopSubmitter.Step(rate);
        counter.current = s;
        submitter.run(s, o.stepSec());
        steps.add(s);
        line(String.format("| %d | %.0f | %.0f | %d | %d | %d | %d | %s |", rate, s.perSecond(s.acked), s.perSecond(s.succeeded),
            s.refused.sum(), s.ackMs.percentile(50), s.ackMs.percentile(99), s.ackMs.max(), load1()));
      }
      counter.current = null;
      if (bytes != null) {
        line("");
        line("### Event-bus bytes per mission (3-node cluster)");
        line("");
        line(bytes);
      }
      submitter.close();
      counter.close();
    } finally {
      for (Fleet f : fleets) {
        try {
          f.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          // the cluster goes next
        }
      }
      cluster.close();
      vertx.close();
    }
    return new Throughput(name, steps);
  }

  /** Event-bus traffic of the Raft transport and the gateway stream per mission, summed over the nodes. */
  private String bytesPerMission(LocalCluster cluster, OpenLoopSubmitter submitter, SucceededCounter counter) throws Exception {
    String sent = "center_raft_sent_bytes_total";
    String stream = "center_raft_stream_bytes_total";
    double sent0 = sumOver(cluster, sent);
    double stream0 = sumOver(cluster, stream);
    long succeeded0 = counter.total.sum();
    int rate = Math.min(100, o.rates().get(0));
    OpenLoopSubmitter.Step s = new OpenLoopSubmitter.Step(rate);
    submitter.run(s, Math.max(1, o.bytesMissions() / rate));
    long acked = s.acked.sum();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (counter.total.sum() - succeeded0 < acked && System.nanoTime() < deadline) sleep(100);
    sleep(1500); // the last heartbeats and watermark updates of those commands
    double sent1 = sumOver(cluster, sent);
    double stream1 = sumOver(cluster, stream);
    return String.format("%d missions submitted at %d/s and run to SUCCEEDED (%d succeeded events seen); summed over the 3 nodes: "
            + "`%s` +%.0f bytes, `%s` +%.0f bytes → **%.0f bytes of Raft traffic and %.0f bytes of gateway stream per mission** "
            + "(%.0f in all). The simulated device reports ACCEPTED, RUNNING progress and SUCCEEDED, so a mission is at least five commands "
            + "(submit, assign, the reports) besides the heartbeats of the window; with no gateway in this cluster the "
            + "stream counter shows what the leader publishes for gateways regardless.",
        acked, rate, counter.total.sum() - succeeded0, sent, sent1 - sent0, stream, stream1 - stream0,
        (sent1 - sent0) / Math.max(1, acked), (stream1 - stream0) / Math.max(1, acked),
        (sent1 - sent0 + stream1 - stream0) / Math.max(1, acked));
  }

  /** The machine's 1-minute load average: above the core count, something else competed for the CPU. */
  private static String load1() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }

  private static double sumOver(LocalCluster cluster, String metric) {
    double total = 0;
    for (ClusterNode n : cluster.nodes()) {
      double v = NodeMetrics.sum(cluster.http(n), metric);
      if (v < 0) throw new IllegalStateException(n.id + " did not answer /metrics");
      total += v;
    }
    return total;
  }

  private static void awaitOnline(LocalCluster cluster, int expected) {
    NodeHttp http = cluster.http(cluster.nodes().get(0));
    io.falconmind.center.it.Eventually.until(Duration.ofSeconds(120), expected + " devices online", () -> {
      int online = 0;
      String after = null;
      do {
        NodeHttp.Reply r = http.get("/api/v1/devices?state=ONLINE&limit=500" + (after == null ? "" : "&after=" + after));
        if (r.status() != 200) return -1;
        online += r.json().getJsonArray("items").size();
        after = r.json().getString("next");
      } while (after != null);
      return online;
    }, online -> online >= expected);
  }

  private static void awaitDrained(List<OpenLoopSubmitter.Step> steps, OpenLoopSubmitter.Step warm,
                                   SucceededCounter counter, Duration wait) {
    long acked = warm.acked.sum() + steps.stream().mapToLong(s -> s.acked.sum()).sum();
    long deadline = System.nanoTime() + wait.toNanos();
    while (counter.total.sum() < acked && System.nanoTime() < deadline) sleep(200);
  }

  /** Counts mission.succeeded events on one node's feed, into the step running when they arrive. */
  private static final class SucceededCounter implements AutoCloseable {
    final LongAdder total = new LongAdder();
    volatile OpenLoopSubmitter.Step current;
    private final WebSocketClient client;
    private final AtomicLong lastSeq = new AtomicLong(-1);

    SucceededCounter(Vertx vertx, ClusterNode node) throws Exception {
      client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setMaxFrameSize(1 << 20)
          .setMaxMessageSize(16 << 20));
      client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.ports.http())
              .setURI("/api/v1/feed?types=mission.succeeded").addHeader("Authorization", "Bearer " + LocalCluster.ADMIN_TOKEN))
          .map(ws -> ws.textMessageHandler(text -> {
            JsonObject e = new JsonObject(text);
            Long seq = e.getLong("seq");
            if (seq == null || seq <= lastSeq.get()) return;
            lastSeq.set(seq);
            total.increment();
            OpenLoopSubmitter.Step s = current;
            if (s != null) s.succeeded.increment();
          }))
          .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      client.close();
    }
  }

  // ---- output ---------------------------------------------------------------------------------

  private void line(String text) {
    System.out.println(text);
    report.append(text).append('\n');
  }

  private void write() throws Exception {
    if (o.out() == null) return;
    Files.createDirectories(o.out().toAbsolutePath().getParent());
    Files.writeString(o.out(), report.toString());
    System.out.println("results written to " + o.out());
  }

  private static String build() {
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
      String rev = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return "`" + rev + "`";
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
