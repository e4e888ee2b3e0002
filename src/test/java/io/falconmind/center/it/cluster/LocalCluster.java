package io.falconmind.center.it.cluster;

import io.falconmind.center.it.Eventually;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Several {@link ClusterNode}s on this machine that form one cluster over Hazelcast and share one
 * {@link SharedPostgres}. Each node gets its own free loopback ports, kept across restarts, and a
 * fixed node id ({@code n1}, {@code n2}, ...), so a test can tell nodes apart in
 * {@code GET /api/v1/cluster}. The cluster owns the database and stops it last.
 *
 * <p>Queries ({@link #view}, {@link #awaitFormed}) may be called from any thread; starting and
 * killing nodes is for one driving thread.
 */
public final class LocalCluster implements AutoCloseable {

  public static final String ADMIN_TOKEN = "cluster-it-admin-token";
  private static final Duration VIEW_TIMEOUT = Duration.ofSeconds(3);

  /** What a cluster is made of; {@link #settings} are node settings ({@code raft.voters}) applied to every node. */
  public static final class Spec {
    int nodes = 5;
    List<String> jvm = ClusterNode.FAULT_TEST_JVM;
    final Map<String, String> settings = new LinkedHashMap<>();

    public Spec() {
      // Fast failure handling so that faults resolve in test time.
      set("raft.voters", "3");
      set("raft.learners", "1");
      set("raft.electionTimeoutMs", "500");
      set("raft.heartbeatPeriodSec", "1");
      set("raft.heartbeatTimeoutSec", "2");
      set("cluster.bootstrapExpect", "3");
      set("cluster.voterGraceSec", "6");
      set("mqtt.offlineGraceSec", "2");
      set("mqtt.instances", "1");
      set("missions.backoffBaseMs", "100");
      set("missions.backoffMaxMs", "400");
      set("scheduler.tickMs", "50");
      set("postgres.poolSize", "4");
    }

    public Spec nodes(int n) {
      this.nodes = n;
      return this;
    }

    /** JVM options of every node (default: {@link ClusterNode#FAULT_TEST_JVM}). */
    public Spec jvm(List<String> options) {
      this.jvm = List.copyOf(options);
      return this;
    }

    /** A node setting by its key in conf/center.yaml, e.g. {@code raft.voters}. */
    public Spec set(String key, String value) {
      settings.put(key, value);
      return this;
    }
  }

  private final SharedPostgres postgres;
  private final List<ClusterNode> nodes;
  private final Map<String, NodeHttp> clients = new ConcurrentHashMap<>();

  private LocalCluster(SharedPostgres postgres, List<ClusterNode> nodes) {
    this.postgres = postgres;
    this.nodes = List.copyOf(nodes);
  }

  /**
   * Starts the shared PostgreSQL and every node at once (a new group forms once
   * {@code cluster.bootstrapExpect} of them are up), and waits until the cluster has formed.
   */
  public static LocalCluster start(Path workDir, Path jar, Spec spec, Duration wait) {
    SharedPostgres pg = SharedPostgres.start(workDir.resolve("postgres"));
    List<ClusterNode.Ports> ports = new ArrayList<>();
    int base = freeBlock(spec.nodes * 4);
    for (int i = 0; i < spec.nodes; i++) {
      int p = base + i * 4;
      ports.add(new ClusterNode.Ports(p, p + 1, p + 2, p + 3));
    }
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p.hazelcast()).toList());
    List<ClusterNode> nodes = new ArrayList<>();
    for (int i = 0; i < spec.nodes; i++) {
      String id = "n" + (i + 1);
      ClusterNode.Ports p = ports.get(i);
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("node.id", id);
      settings.put("node.dataDir", workDir.resolve(id).toString());
      settings.put("http.host", "127.0.0.1");
      settings.put("http.port", String.valueOf(p.http()));
      settings.put("mqtt.host", "127.0.0.1");
      settings.put("mqtt.port", String.valueOf(p.mqtt()));
      settings.put("grpc.port", String.valueOf(p.grpc()));
      settings.put("auth.adminToken", ADMIN_TOKEN);
      settings.put("cluster.enabled", "true");
      settings.put("cluster.discovery", "static");
      settings.put("cluster.members", members);
      settings.put("cluster.host", "127.0.0.1");
      settings.put("cluster.port", String.valueOf(p.hazelcast()));
      settings.put("cluster.eventBusPort", "0");
      settings.put("postgres.url", pg.url());
      settings.put("postgres.user", "postgres");
      settings.put("postgres.password", "");
      settings.putAll(spec.settings);
      Map<String, String> env = new LinkedHashMap<>();
      settings.forEach((k, v) -> env.put(envName(k), v));
      nodes.add(new ClusterNode(id, p, workDir, jar, spec.jvm, env, ADMIN_TOKEN));
    }
    LocalCluster cluster = new LocalCluster(pg, nodes);
    try {
      cluster.startAll(wait);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * The first of {@code count} consecutive free ports below the kernel's ephemeral range (32768 and
   * up on Linux): a node's fixed ports must not be taken, between two restarts, by an outgoing
   * connection of another node, as ports handed out by the kernel could be.
   */
  static int freeBlock(int count) {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + random.nextInt(12_000 - count);
      boolean free = true;
      for (int p = base; p < base + count && free; p++) free = portFree(p);
      if (free) return base;
    }
    throw new IllegalStateException("no block of " + count + " free ports found");
  }

  private static boolean portFree(int port) {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** {@code cluster.bootstrapExpect} -> {@code CENTER_CLUSTER_BOOTSTRAP_EXPECT}. */
  static String envName(String key) {
    return "CENTER_" + key.replace(".", "_").replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
  }

  public List<ClusterNode> nodes() {
    return nodes;
  }

  public SharedPostgres postgres() {
    return postgres;
  }

  public ClusterNode node(String id) {
    return nodes.stream().filter(n -> n.id.equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node " + id));
  }

  public List<ClusterNode> serving() {
    return nodes.stream().filter(ClusterNode::serving).toList();
  }

  /** A short-timeout REST client of a node. */
  public NodeHttp http(ClusterNode node) {
    return clients.computeIfAbsent(node.id, id -> new NodeHttp(node.ports.http(), ADMIN_TOKEN, VIEW_TIMEOUT));
  }

  /** Starts every node that is down and waits until the cluster has formed with all of them. */
  public void startAll(Duration wait) {
    List<ClusterNode> started = new ArrayList<>();
    for (ClusterNode n : nodes) {
      if (!n.alive()) {
        n.start();
        started.add(n);
      }
    }
    long deadline = System.nanoTime() + wait.toNanos();
    for (ClusterNode n : started) awaitReady(n, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    awaitFormed(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
  }

  /** Kills every node at once (SIGKILL), as a power cut would. */
  public void killAll() {
    nodes.parallelStream().forEach(ClusterNode::kill9);
  }

  /** Starts a stopped node again and waits until the leader lists its new incarnation and it follows that leader. */
  public ClusterView restart(ClusterNode node, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    node.start();
    awaitReady(node, Duration.ofNanos(deadline - System.nanoTime()));
    return awaitRejoined(node, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
  }

  /** {@code /health/ready} answers 200: the node is up and in contact with a leader. */
  public void awaitReady(ClusterNode node, Duration wait) {
    Eventually.until(wait, node.id + " ready", () -> {
      if (!node.alive()) {
        throw new IllegalStateException(node.id + " exited with " + node.exitCode() + ":\n" + node.logTail(40));
      }
      return http(node).get("/health/ready").status();
    }, s -> s == 200);
  }

  /** This node's view of the cluster, or null when it does not answer. */
  public ClusterView view(ClusterNode node) {
    NodeHttp.Reply r = http(node).get("/api/v1/cluster");
    return r.status() == 200 ? ClusterView.from(r.json()) : null;
  }

  /**
   * Waits until every serving node is ready and names the same leader endpoint, and that leader's
   * node is serving and reports itself LEADER. Returns the leader's view.
   */
  public ClusterView awaitFormed(Duration wait) {
    return Eventually.until(wait, "one leader known to every serving node", this::formation,
        f -> f.leaderView() != null).leaderView();
  }

  /** The leader's view when every serving node agrees on that leader, else null. */
  ClusterView formedView() {
    return formation().leaderView();
  }

  /** Whether the cluster has formed, and what each serving node said, for a failure message. */
  record Formation(ClusterView leaderView, String seen) {
    @Override
    public String toString() {
      return seen;
    }
  }

  Formation formation() {
    // A probe costs two requests per node: pace the callers that poll it in a loop.
    java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100));
    StringBuilder seen = new StringBuilder();
    java.util.Set<String> leaders = new java.util.HashSet<>();
    boolean allReady = true;
    for (ClusterNode n : serving()) {
      ClusterView v = view(n);
      int ready = http(n).get("/health/ready").status();
      allReady &= ready == 200;
      seen.append(n.id).append(": ready ").append(ready);
      if (v == null) {
        seen.append(", no view; ");
        leaders.add(null);
        continue;
      }
      ClusterView.Member me = v.selfMember();
      seen.append(", ").append(v.self()).append(' ').append(me == null ? "?" : me.member() + "/" + me.role())
          .append(" term ").append(v.term()).append(" leader ").append(v.leader()).append("; ");
      leaders.add(v.leader());
    }
    if (!allReady || leaders.size() != 1 || leaders.contains(null)) return new Formation(null, seen.toString());
    String leader = leaders.iterator().next();
    ClusterNode leaderNode = node(ClusterView.nodeOf(leader));
    ClusterView lv = leaderNode.serving() ? view(leaderNode) : null;
    if (lv == null || !leader.equals(lv.self()) || lv.selfMember() == null
        || !"LEADER".equals(lv.selfMember().role())) {
      return new Formation(null, seen.toString());
    }
    // Every node's own idea of its membership matches the leader's group: a node the group dropped
    // (while it was frozen, say) must not go on believing it votes.
    for (ClusterNode n : serving()) {
      ClusterView.Member m = lv.member(n.id);
      if (m == null) return new Formation(null, seen + " the leader does not list " + n.id);
      boolean voter = lv.voters().contains(m.endpoint());
      boolean learner = lv.learners().contains(m.endpoint());
      String expected = voter ? "voter" : learner ? "learner" : "gateway";
      if (!expected.equals(m.member())) {
        return new Formation(null, seen + " " + m.endpoint() + " says it is a " + m.member()
            + " but the leader's group has it as " + expected);
      }
    }
    return new Formation(lv, seen.toString());
  }

  /** The node that currently leads (after {@link #awaitFormed}). */
  public ClusterNode leader(Duration wait) {
    return node(awaitFormed(wait).leaderNode());
  }

  /**
   * Waits until the leader lists {@code node}'s current incarnation as a member and the node follows
   * that leader. Returns the leader's view.
   */
  public ClusterView awaitRejoined(ClusterNode node, Duration wait) {
    return Eventually.until(wait, node.id + " rejoined", () -> {
      ClusterView own = view(node);
      ClusterView lv = formedView();
      if (own == null || lv == null || own.self() == null) return null;
      ClusterView.Member listed = lv.member(node.id);
      boolean ok = listed != null && own.self().equals(listed.endpoint()) && lv.self().equals(own.leader());
      return ok ? lv : null;
    }, Objects::nonNull);
  }

  /** Waits until the leader's view shows this many voters, learners and gateways among its members. */
  public ClusterView awaitComposition(int voters, int learners, int gateways, Duration wait) {
    String want = voters + " voters, " + learners + " learners, " + gateways + " gateways";
    return Eventually.until(wait, want, () -> {
      Formation f = formation();
      ClusterView lv = f.leaderView();
      if (lv == null) return new Formation(null, "not formed: " + f.seen());
      boolean ok = lv.nodesOfKind("voter").size() == voters && lv.nodesOfKind("learner").size() == learners
          && lv.nodesOfKind("gateway").size() == gateways;
      return new Formation(ok ? lv : null, "leader " + lv.self() + " lists " + lv.members().stream()
          .map(m -> m.endpoint() + " " + m.member() + "/" + m.role()).toList());
    }, f -> f.leaderView() != null).leaderView();
  }

  /**
   * A serving node whose membership (as the leader lists it) is {@code kind} and which is not the
   * leader; of several, the one started least often, so that successive faults hit different nodes.
   */
  public ClusterNode someNodeOfKind(String kind, Duration wait) {
    ClusterView lv = awaitFormed(wait);
    return lv.nodesOfKind(kind).stream().filter(id -> !id.equals(lv.leaderNode())).map(this::node)
        .filter(ClusterNode::serving).min(java.util.Comparator.comparingInt(ClusterNode::starts))
        .orElseThrow(() -> new AssertionError("no serving " + kind + " besides the leader in " + lv));
  }

  @Override
  public void close() {
    nodes.parallelStream().forEach(n -> n.terminate(Duration.ofSeconds(20)));
    try {
      postgres.close();
    } catch (Exception e) {
      // the data directory is temporary
    }
  }
}
