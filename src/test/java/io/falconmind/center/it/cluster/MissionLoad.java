package io.falconmind.center.it.cluster;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A steady stream of missions submitted over REST to the serving nodes in turn, each with its own
 * idempotency key. A submit answered 503/504 or not answered at all is retried with the same key on
 * the next serving node until it is acknowledged (201, or 200 for a key the center already knows)
 * or {@code giveUpMs} passes. Records what was acknowledged and how long clients waited.
 *
 * <p>Thread-safe; runs on its own threads until {@link #stop()}.
 */
final class MissionLoad implements AutoCloseable {

  /** A mission the center acknowledged. */
  record Acked(String id, String key, long firstTryAt, long ackedAt, String node, int status, int tries) {
  }

  /** A submit the center answered with something other than an acknowledgement or a retryable status. */
  record Refused(String key, String node, NodeHttp.Reply reply) {
  }

  /** A stretch of more than 3 s in which no submit was acknowledged (epoch ms). */
  record Outage(long from, long to) {
    @Override
    public String toString() {
      java.time.ZoneId zone = java.time.ZoneId.systemDefault();
      return java.time.LocalTime.ofInstant(java.time.Instant.ofEpochMilli(from), zone)
          .format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")) + " for "
          + (to - from) + " ms";
    }
  }

  static final String TYPE = "fault-probe";

  private final LocalCluster cluster;
  private final String run;
  private final long periodMs;
  private final long giveUpMs;
  private final int timeoutSec;
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "load-tick"));
  private final ExecutorService submitters = Executors.newFixedThreadPool(8, r -> daemon(r, "load-submit"));
  private final Map<String, Acked> acked = new ConcurrentHashMap<>();
  private final List<Refused> refused = Collections.synchronizedList(new ArrayList<>());
  private final List<String> gaveUp = Collections.synchronizedList(new ArrayList<>());
  private final List<Outage> outages = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger sequence = new AtomicInteger();
  private final AtomicInteger rotation = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final AtomicLong lastAckAt = new AtomicLong();
  private final AtomicLong longestAckGapMs = new AtomicLong();
  private final AtomicLong longestWaitMs = new AtomicLong();
  private volatile boolean stopped;

  /**
   * @param run        distinguishes this run's idempotency keys from any other
   * @param periodMs   one submit every this many ms
   * @param timeoutSec per-attempt timeout of the missions
   */
  MissionLoad(LocalCluster cluster, String run, long periodMs, long giveUpMs, int timeoutSec) {
    this.cluster = cluster;
    this.run = run;
    this.periodMs = periodMs;
    this.giveUpMs = giveUpMs;
    this.timeoutSec = timeoutSec;
  }

  void start() {
    lastAckAt.set(System.currentTimeMillis());
    ticker.scheduleAtFixedRate(() -> {
      if (!stopped) submitters.execute(this::submitOne);
    }, 0, periodMs, TimeUnit.MILLISECONDS);
  }

  private void submitOne() {
    int n = sequence.incrementAndGet();
    String key = run + "-" + n;
    JsonObject body = mission(n);
    long first = System.currentTimeMillis();
    int tries = 0;
    // Once tried, a submit is retried to the end even after stop(): its outcome must be known.
    while (true) {
      ClusterNode node = nextServing();
      tries++;
      NodeHttp.Reply r = node == null ? new NodeHttp.Reply(-1, "no serving node")
          : cluster.http(node).post("/api/v1/missions", body, key);
      long now = System.currentTimeMillis();
      if (r.status() == 201 || r.status() == 200) {
        acked.put(r.json().getString("id"), new Acked(r.json().getString("id"), key, first, now,
            node.id, r.status(), tries));
        long previous = lastAckAt.getAndAccumulate(now, Math::max);
        longestAckGapMs.accumulateAndGet(now - previous, Math::max);
        if (now - previous > 3000) outages.add(new Outage(previous, now));
        longestWaitMs.accumulateAndGet(now - first, Math::max);
        return;
      }
      if (r.status() != 503 && r.status() != 504 && r.status() != -1) {
        refused.add(new Refused(key, node == null ? "-" : node.id, r));
        return;
      }
      if (now - first > giveUpMs) {
        gaveUp.add(key + " last answer " + r);
        return;
      }
      retries.incrementAndGet();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  private JsonObject mission(int n) {
    return new JsonObject().put("type", TYPE).put("payload", new JsonObject().put("n", n).put("run", run))
        .put("requirements", new JsonObject().put("kind", ProbeDevice.KIND))
        .put("timeoutSec", timeoutSec).put("maxAttempts", 10);
  }

  private ClusterNode nextServing() {
    List<ClusterNode> serving = cluster.serving();
    if (serving.isEmpty()) return null;
    return serving.get(Math.floorMod(rotation.getAndIncrement(), serving.size()));
  }

  /** Acknowledged missions by id (a snapshot). */
  Map<String, Acked> acked() {
    return Map.copyOf(acked);
  }

  /** Ids of missions acknowledged at or after {@code since} (epoch ms). */
  List<String> ackedSince(long since) {
    return acked.values().stream().filter(a -> a.ackedAt() >= since).map(Acked::id).toList();
  }

  List<Refused> refused() {
    synchronized (refused) {
      return List.copyOf(refused);
    }
  }

  List<String> gaveUp() {
    synchronized (gaveUp) {
      return List.copyOf(gaveUp);
    }
  }

  List<Outage> outages() {
    synchronized (outages) {
      return List.copyOf(outages);
    }
  }

  int submitted() {
    return sequence.get();
  }

  int retries() {
    return retries.get();
  }

  /** Longest time between two acknowledgements: how long the cluster accepted no mission. */
  long longestAckGapMs() {
    return longestAckGapMs.get();
  }

  /** Longest time one client waited (retrying) for its acknowledgement. */
  long longestWaitMs() {
    return longestWaitMs.get();
  }

  /** Stops submitting; submits in flight finish (or give up) first. */
  void stop() {
    stopped = true;
    ticker.shutdownNow();
    submitters.shutdown();
    try {
      submitters.awaitTermination(giveUpMs + 10_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
