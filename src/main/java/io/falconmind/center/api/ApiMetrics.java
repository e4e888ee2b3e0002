package io.falconmind.center.api;

import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;
import io.falconmind.center.control.PersistedEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The control center's own metrics on the node's Prometheus registry, and the {@code /metrics}
 * scrape. Gauges ({@code center_missions{state}} over missions in memory, {@code center_queue_depth},
 * {@code center_devices{state=online|total}}) are refreshed from {@code ControlClient.stats()} at
 * each scrape; {@code center_missions_finished_total{state}} and
 * {@code center_submit_to_assign_seconds} (first assignments: p50/p99 quantiles; the same as
 * histogram buckets in {@code center_submit_to_assign_buckets_seconds}) follow
 * the persisted event stream, so each node counts every event once. JVM and processor binders are
 * bound only when the registry has none yet. One instance per registry: the HTTP verticle is
 * deployed once per node.
 */
public final class ApiMetrics {

  private static final long STATS_TIMEOUT_MS = 2000;

  private final PrometheusMeterRegistry registry;
  private final ControlClient control;
  private final Map<MissionState, AtomicLong> missions = new EnumMap<>(MissionState.class);
  private final Map<MissionState, Counter> finished = new EnumMap<>(MissionState.class);
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong devicesOnline = new AtomicLong();
  private final AtomicLong devicesTotal = new AtomicLong();
  private final AtomicLong term = new AtomicLong();
  private final AtomicLong commitIndex = new AtomicLong();
  private final AtomicLong appliedIndex = new AtomicLong();
  private final AtomicLong persistedIndex = new AtomicLong();
  private final AtomicLong isLeader = new AtomicLong();
  private final AtomicLong hasLeader = new AtomicLong();
  private final AtomicLong leaderChanges = new AtomicLong();
  private final AtomicLong raftBytes = new AtomicLong();
  private final AtomicLong raftMessages = new AtomicLong();
  private final AtomicLong streamBytes = new AtomicLong();
  private final Timer submitToAssign;
  private final Timer submitToAssignBuckets;

  public ApiMetrics(PrometheusMeterRegistry registry, ControlClient control) {
    this.registry = registry;
    this.control = control;
    bindJvmIfAbsent();
    for (MissionState s : MissionState.values()) {
      AtomicLong holder = new AtomicLong();
      missions.put(s, holder);
      Gauge.builder("center.missions", holder, AtomicLong::get).tag("state", s.name())
          .description("Missions in memory by state (finished ones leave memory after the retention time)")
          .register(registry);
      if (s.terminal()) {
        finished.put(s, Counter.builder("center.missions.finished").tag("state", s.name())
            .description("Missions that ended, by end state").register(registry));
      }
    }
    Gauge.builder("center.queue.depth", queued, AtomicLong::get)
        .description("Missions waiting for a device").register(registry);
    Gauge.builder("center.devices", devicesOnline, AtomicLong::get).tag("state", "online")
        .description("Registered devices").register(registry);
    Gauge.builder("center.devices", devicesTotal, AtomicLong::get).tag("state", "total")
        .description("Registered devices").register(registry);
    Gauge.builder("center.raft.term", term, AtomicLong::get).description("Raft term this node knows").register(registry);
    Gauge.builder("center.raft.commit.index", commitIndex, AtomicLong::get)
        .description("Raft commit index this node knows").register(registry);
    Gauge.builder("center.raft.applied.index", appliedIndex, AtomicLong::get)
        .description("Last log index applied to this node's control state").register(registry);
    Gauge.builder("center.raft.persisted.index", persistedIndex, AtomicLong::get)
        .description("Last log index known persisted in PostgreSQL").register(registry);
    Gauge.builder("center.raft.leader", isLeader, AtomicLong::get)
        .description("1 while this node is the Raft leader").register(registry);
    Gauge.builder("center.raft.has.leader", hasLeader, AtomicLong::get)
        .description("1 while this node is in contact with a Raft leader").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("center.raft.leader.changes", leaderChanges, AtomicLong::get)
        .description("Leader changes this node has seen").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("center.raft.sent.bytes", raftBytes, AtomicLong::get)
        .description("Bytes of Raft messages this node sent on the event bus").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("center.raft.sent.messages", raftMessages, AtomicLong::get)
        .description("Raft messages this node sent on the event bus").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("center.raft.stream.bytes", streamBytes, AtomicLong::get)
        .description("Bytes of the applied-command stream this node published to gateways").register(registry);
    // The Prometheus client publishes either quantiles or buckets for one timer: the quantiles (this
    // node's p50/p99) go under the documented name, the buckets (to aggregate across nodes) apart.
    submitToAssign = Timer.builder("center.submit.to.assign")
        .description("From submit to the first assignment of a mission (p50, p99 on this node)")
        .publishPercentiles(0.5, 0.99)
        .register(registry);
    submitToAssignBuckets = Timer.builder("center.submit.to.assign.buckets")
        .description("From submit to the first assignment of a mission, as histogram buckets")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1))
        .register(registry);
  }

  private void bindJvmIfAbsent() {
    if (registry.find("jvm.memory.used").meter() == null) new JvmMemoryMetrics().bindTo(registry);
    if (registry.find("jvm.gc.pause").meter() == null && registry.find("jvm.gc.memory.allocated").meter() == null) {
      new JvmGcMetrics().bindTo(registry);
    }
    if (registry.find("jvm.threads.live").meter() == null) new JvmThreadMetrics().bindTo(registry);
    if (registry.find("system.cpu.count").meter() == null) new ProcessorMetrics().bindTo(registry);
  }

  /** Follows the persisted event stream: finished missions and first-assignment latency. */
  public void onPersisted(PersistedEvents persisted) {
    for (Event e : persisted.events()) {
      Mission m = e.mission();
      if (m == null) continue;
      if ("mission.assigned".equals(e.type()) && m.attempt() == 1) {
        long ms = Math.max(0, e.at() - m.createdAt());
        submitToAssign.record(ms, TimeUnit.MILLISECONDS);
        submitToAssignBuckets.record(ms, TimeUnit.MILLISECONDS);
      } else if (m.state().terminal() && e.type().equals("mission." + m.state().name().toLowerCase())) {
        finished.get(m.state()).increment();
      }
    }
  }

  /** Refreshes the gauges from the control state; never fails (stale gauges beat no scrape). */
  public Future<Void> refresh() {
    Future<Void> stats = control.stats().timeout(STATS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onSuccess(this::apply)
        .<Void>mapEmpty()
        .otherwiseEmpty();
    Future<Void> status = control.status().timeout(STATS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onSuccess(this::apply)
        .<Void>mapEmpty()
        .otherwiseEmpty();
    return Future.join(stats, status).<Void>mapEmpty().otherwiseEmpty();
  }

  void apply(io.falconmind.center.control.NodeStatus s) {
    term.set(s.term());
    commitIndex.set(s.commitIndex());
    appliedIndex.set(s.appliedIndex());
    persistedIndex.set(s.persistedIndex());
    isLeader.set("LEADER".equals(s.role()) ? 1 : 0);
    hasLeader.set(s.hasLeader() ? 1 : 0);
    leaderChanges.set(s.leaderChanges());
  }

  void apply(JsonObject stats) {
    JsonObject byState = stats.getJsonObject("missions", new JsonObject());
    for (Map.Entry<MissionState, AtomicLong> e : missions.entrySet()) {
      e.getValue().set(byState.getLong(e.getKey().name(), 0L));
    }
    queued.set(stats.getLong("queued", 0L));
    devicesOnline.set(stats.getLong("devicesOnline", 0L));
    devicesTotal.set(stats.getLong("devices", 0L));
    raftBytes.set(stats.getLong("raftBytes", 0L));
    raftMessages.set(stats.getLong("raftMessages", 0L));
    streamBytes.set(stats.getLong("streamBytes", 0L));
  }

  void scrape(RoutingContext ctx) {
    refresh().onComplete(done -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape()));
  }
}
