package io.falconmind.center.it.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The randomized long form of {@link ClusterFaultIT}: a cluster under steady mission load takes
 * random faults for a number of minutes — {@code kill -9} of any role, SIGSTOP/SIGCONT of the leader
 * or of any node, all nodes killed at once — each followed by recovery (the node restarted or woken),
 * and at the end the same invariants are checked and a summary printed. Run by
 * {@code bench/chaos.sh}; exits 1 when an invariant was broken or the cluster did not recover.
 */
public final class ChaosRun {

  enum Fault { KILL_LEADER, KILL_FOLLOWER, KILL_LEARNER, KILL_GATEWAY, KILL_ANY, FREEZE_LEADER, FREEZE_ANY, RESTART_ALL }

  /** One injected fault and how the cluster came back. */
  record Injected(long at, Fault fault, String node, String role, long downMs, long reformedMs, long recoveredMs,
                  String note) {
  }

  private static final Duration FORM = Duration.ofSeconds(60);
  private static final java.time.format.DateTimeFormatter HH_MM_SS = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

  private final Options o;
  private final Random random;
  private final List<Injected> injected = new ArrayList<>();
  private final List<String> troubles = new ArrayList<>();
  private FaultHarness run;

  record Options(int minutes, int nodes, int voters, int learners, int devices, double rate, long seed, Path workDir,
                 Path jar, Path out) {
    static Options parse(String[] args) {
      int minutes = 5;
      int nodes = 5;
      int voters = 3;
      int learners = 1;
      int devices = 8;
      double rate = 10;
      long seed = System.nanoTime();
      Path work = Path.of("target", "chaos", String.valueOf(System.currentTimeMillis()));
      Path jar = Path.of("target", "cluster-center.jar");
      Path out = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--help")) {
          System.out.println(USAGE);
          System.exit(0);
        }
        if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
        String v = args[++i];
        switch (a) {
          case "--minutes" -> minutes = Integer.parseInt(v);
          case "--nodes" -> nodes = Integer.parseInt(v);
          case "--voters" -> voters = Integer.parseInt(v);
          case "--learners" -> learners = Integer.parseInt(v);
          case "--devices" -> devices = Integer.parseInt(v);
          case "--rate" -> rate = Double.parseDouble(v);
          case "--seed" -> seed = Long.parseLong(v);
          case "--work-dir" -> work = Path.of(v);
          case "--jar" -> jar = Path.of(v);
          case "--out" -> out = Path.of(v);
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      if (nodes < voters) throw new IllegalArgumentException("--nodes must be at least --voters");
      if (rate <= 0 || rate > 200) throw new IllegalArgumentException("--rate must be in (0, 200]");
      return new Options(minutes, nodes, voters, learners, devices, rate, seed, work.toAbsolutePath(),
          jar.toAbsolutePath(), out);
    }

    static final String USAGE = String.join("\n",
        "Usage: bench/chaos.sh [--minutes 5] [--nodes 5] [options]",
        "  --minutes M    how long faults are injected (default 5)",
        "  --nodes N      cluster nodes, one JVM each (default 5)",
        "  --voters V     raft.voters (default 3)",
        "  --learners L   raft.learners (default 1)",
        "  --devices D    probe devices (default 8)",
        "  --rate R       missions submitted per second (default 10)",
        "  --seed S       seed of the fault schedule (default: random, printed)",
        "  --work-dir D   node data and logs (default target/chaos/<time>)",
        "  --out FILE     also write the summary as Markdown");
  }

  private ChaosRun(Options o) {
    this.o = o;
    this.random = new Random(o.seed());
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("chaos: " + e.getMessage() + "\n" + Options.USAGE);
      System.exit(2);
      return;
    }
    int code = new ChaosRun(o).run();
    System.exit(code);
  }

  private int run() throws IOException {
    say("seed %d; %d nodes (%d voters, %d learners), %d devices, %.1f missions/s, %d min of faults; logs in %s",
        o.seed(), o.nodes(), o.voters(), o.learners(), o.devices(), o.rate(), o.minutes(), o.workDir());
    LocalCluster.Spec spec = new LocalCluster.Spec().nodes(o.nodes())
        .set("raft.voters", String.valueOf(o.voters())).set("raft.learners", String.valueOf(o.learners()))
        .set("cluster.bootstrapExpect", String.valueOf(o.voters()));
    long periodMs = Math.max(5, Math.round(1000 / o.rate()));
    run = FaultHarness.start(o.workDir(), o.jar(), spec,
        new FaultHarness.Load(o.devices(), 150, periodMs, 15, 120_000));
    ClusterChecks.Round round;
    try {
      run.checks.awaitSchedulingResumed(System.currentTimeMillis(), 5, FORM);
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(o.minutes());
      while (System.nanoTime() < end) {
        inject(pick());
        // A deliberate stretch of plain load between two faults.
        sleep(2000 + random.nextInt(6000));
      }
      say("faults over; stopping the load and checking");
      run.load.stop();
      round = run.checks.run(Duration.ofSeconds(120));
    } catch (RuntimeException | Error e) {
      troubles.add("run aborted: " + e);
      e.printStackTrace();
      round = null;
    }
    String summary = summary(round);
    System.out.println();
    System.out.println(summary);
    if (o.out() != null) {
      Files.createDirectories(o.out().toAbsolutePath().getParent());
      Files.writeString(o.out(), summary);
      say("summary written to %s", o.out());
    }
    boolean clean = round != null && round.problems().isEmpty() && troubles.isEmpty();
    run.close();
    return clean ? 0 : 1;
  }

  private Fault pick() {
    int r = random.nextInt(100);
    if (r < 20) return Fault.KILL_LEADER;
    if (r < 32) return Fault.KILL_FOLLOWER;
    if (r < 42) return Fault.KILL_LEARNER;
    if (r < 52) return Fault.KILL_GATEWAY;
    if (r < 64) return Fault.KILL_ANY;
    if (r < 80) return Fault.FREEZE_LEADER;
    if (r < 92) return Fault.FREEZE_ANY;
    return Fault.RESTART_ALL;
  }

  private void inject(Fault fault) {
    LocalCluster cluster = run.cluster;
    ClusterView lv;
    try {
      lv = cluster.awaitFormed(FORM);
    } catch (AssertionError e) {
      troubles.add("before " + fault + ": " + e.getMessage());
      say("cluster not formed before %s: %s", fault, e.getMessage());
      recoverEverything();
      return;
    }
    if (fault == Fault.RESTART_ALL) {
      restartAll();
      return;
    }
    ClusterNode target = target(fault, lv);
    if (target == null) {
      say("no node for %s; skipped", fault);
      return;
    }
    ClusterView.Member m = lv.member(target.id);
    String role = m == null ? "?" : m.member() + "/" + m.role();
    long downMs = 500 + random.nextInt(7500);
    long at = System.currentTimeMillis();
    boolean freeze = fault == Fault.FREEZE_LEADER || fault == Fault.FREEZE_ANY;
    say("%s %s (%s) for %d ms", freeze ? "SIGSTOP" : "kill -9", target.id, role, downMs);
    if (freeze) target.freeze();
    else target.kill9();
    long reformedMs = -1;
    String note = "";
    try {
      // While the node is out the others must agree on a leader (a follower's freeze changes
      // nothing); the fault lasts downMs whether or not they managed by then.
      reformedMs = timeToForm(at, at + downMs);
      long left = at + downMs - System.currentTimeMillis();
      if (left > 0) sleep(left);
      if (freeze) target.thaw();
      else cluster.restart(target, Duration.ofSeconds(150));
      if (reformedMs < 0) reformedMs = timeToForm(at, System.currentTimeMillis() + FORM.toMillis());
      cluster.awaitFormed(FORM);
    } catch (RuntimeException | AssertionError e) {
      note = "did not recover: " + e.getMessage();
      troubles.add(fault + " of " + target.id + ": " + e.getMessage());
      say("%s", note);
      recoverEverything();
    }
    long recoveredMs = System.currentTimeMillis() - at;
    injected.add(new Injected(at, fault, target.id, role, downMs, reformedMs, recoveredMs, note));
    say("  re-formed after %d ms, recovered after %d ms", reformedMs, recoveredMs);
  }

  /**
   * How long after {@code at} the serving nodes agreed on a leader, polled until {@code until}
   * (epoch ms); -1 when they did not by then.
   */
  private long timeToForm(long at, long until) {
    do {
      if (run.cluster.formedView() != null) return System.currentTimeMillis() - at;
    } while (System.currentTimeMillis() < until);
    return -1;
  }

  private ClusterNode target(Fault fault, ClusterView lv) {
    LocalCluster cluster = run.cluster;
    List<String> candidates = switch (fault) {
      case KILL_LEADER, FREEZE_LEADER -> List.of(lv.leaderNode());
      case KILL_FOLLOWER -> lv.nodesOfKind("voter").stream().filter(id -> !id.equals(lv.leaderNode())).toList();
      case KILL_LEARNER -> lv.nodesOfKind("learner");
      case KILL_GATEWAY -> lv.nodesOfKind("gateway");
      default -> cluster.nodes().stream().map(n -> n.id).toList();
    };
    List<ClusterNode> serving = candidates.stream().map(cluster::node).filter(ClusterNode::serving).toList();
    return serving.isEmpty() ? null : serving.get(random.nextInt(serving.size()));
  }

  private void restartAll() {
    long at = System.currentTimeMillis();
    say("kill -9 of every node, then all started again");
    String note = "";
    long reformedMs = -1;
    try {
      run.cluster.killAll();
      run.cluster.startAll(Duration.ofSeconds(240));
      reformedMs = System.currentTimeMillis() - at;
    } catch (RuntimeException | AssertionError e) {
      note = "did not recover: " + e.getMessage();
      troubles.add("RESTART_ALL: " + e.getMessage());
      recoverEverything();
    }
    long recoveredMs = System.currentTimeMillis() - at;
    injected.add(new Injected(at, Fault.RESTART_ALL, "all", "all", 0, reformedMs, recoveredMs, note));
    say("  re-formed after %d ms", reformedMs);
  }

  /** Wakes frozen nodes and starts dead ones, so one failed recovery does not end the run. */
  private void recoverEverything() {
    for (ClusterNode n : run.cluster.nodes()) {
      if (n.frozen()) n.thaw();
    }
    try {
      run.cluster.startAll(Duration.ofSeconds(240));
    } catch (RuntimeException | AssertionError e) {
      troubles.add("the cluster did not come back with every node: " + e.getMessage());
    }
  }

  private String summary(ClusterChecks.Round round) {
    StringBuilder s = new StringBuilder();
    s.append("# Chaos run ").append(Instant.now()).append("\n\n");
    s.append("Machine: ").append(Machine.describe()).append("\n\n");
    s.append(String.format("Seed %d; %d nodes (%d voters, %d learners); %d probe devices; %.1f missions/s; %d min of faults.%n%n",
        o.seed(), o.nodes(), o.voters(), o.learners(), o.devices(), o.rate(), o.minutes()));
    s.append("Times are the local time of this machine (").append(java.time.ZoneId.systemDefault()).append(").\n\n");
    Map<Fault, Integer> byKind = new TreeMap<>();
    injected.forEach(f -> byKind.merge(f.fault(), 1, Integer::sum));
    s.append("## Faults injected: ").append(injected.size()).append(' ').append(byKind).append("\n\n");
    s.append("| # | at | fault | node | role | down ms | re-formed ms | recovered ms | note |\n|---:|---|---|---|---|---:|---:|---:|---|\n");
    for (int i = 0; i < injected.size(); i++) {
      Injected f = injected.get(i);
      s.append(String.format("| %d | %s | %s | %s | %s | %d | %d | %d | %s |%n", i + 1,
          java.time.LocalTime.ofInstant(java.time.Instant.ofEpochMilli(f.at()), java.time.ZoneId.systemDefault()).format(HH_MM_SS),
          f.fault(), f.node(), f.role(),
          f.downMs(), f.reformedMs(), f.recoveredMs(), f.note()));
    }
    MissionLoad load = run.load;
    s.append("\n## Missions\n\n");
    s.append(String.format("- submitted %d, acknowledged %d, retried submits %d, refused %d, never acknowledged %d%n",
        load.submitted(), load.acked().size(), load.retries(), load.refused().size(), load.gaveUp().size()));
    if (round != null) {
      s.append(String.format("- ended: %s; not ended (lost or stuck): %d%n", round.byState(), round.notEnded().size()));
      s.append(String.format("- held by two devices at once: %d; SUCCEEDED accepted from two devices: %d%n",
          round.overlaps().size(), round.acceptedTwice().size()));
      s.append(String.format("- feed seq violations: %d; feed attempt violations: %d; feeds behind: %d; feeds disagreeing with the store: %d%n",
          round.seqViolations().size(), round.auditViolations().size(), round.feedsBehind().size(),
          round.feedsDisagree().size()));
    }
    ProbeFleet fleet = run.fleet;
    s.append(String.format("- devices: %d deliveries, %d re-deliveries, %d refused reports; missions run to the end by two devices (at-least-once re-runs): %d%n",
        fleet.deliveries(), fleet.redeliveries(), fleet.refusals(), fleet.ranToTheEndTwice()));
    s.append(String.format("- max unavailability: longest gap between two acknowledged submits %d ms; longest a client waited (retrying) %d ms%n",
        load.longestAckGapMs(), load.longestWaitMs()));
    s.append("- stretches of more than 3 s without an acknowledged submit: ").append(load.outages()).append('\n');
    long maxReform = injected.stream().mapToLong(Injected::reformedMs).max().orElse(-1);
    s.append(String.format("- longest time to re-form after a fault: %d ms%n", maxReform));
    List<String> problems = new ArrayList<>(troubles);
    if (round != null) problems.addAll(round.problems());
    s.append("\n## Result: ").append(problems.isEmpty() ? "every invariant held" : problems.size() + " problem(s)").append("\n");
    problems.stream().limit(100).forEach(p -> s.append("- ").append(p).append('\n'));
    return s.toString();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void say(String format, Object... args) {
    System.out.printf("[chaos %s] %s%n", java.time.LocalTime.now().format(HH_MM_SS), String.format(format, args));
  }
}
