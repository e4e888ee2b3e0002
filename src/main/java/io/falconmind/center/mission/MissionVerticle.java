package io.falconmind.center.mission;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.device.DeviceSignals;
import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.Command.Assignment;
import io.falconmind.center.control.Command.AttemptRef;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.NodeStatus;
import io.falconmind.center.raft.RaftVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The scheduler loop. Runs on every node and keeps its {@link SchedulerView} current from the
 * applied-command stream; only while this node is the Raft leader does it decide: assignments,
 * attempt timeouts, expiries and eviction of finished missions, each proposed as a command that the
 * state machine re-checks. At most one proposal of each kind is in flight; what changes meanwhile is
 * picked up by the next pass.
 */
public final class MissionVerticle extends VerticleBase {


  private static final Logger log = LoggerFactory.getLogger(MissionVerticle.class);
  private static final int MAX_ASSIGNMENTS_PER_PASS = 2000;
  private static final int MAX_SCAN_PER_PASS = 20_000;
  private static final long EVICT_EVERY_MS = 5_000;

  private final CenterConfig.Missions missions;
  private final CenterConfig.Scheduler config;
  private final LongSupplier clock;
  private final SchedulerView view = new SchedulerView();
  private final Set<String> pending = new HashSet<>();
  private final List<Applied> buffered = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private ControlClient control;
  private MissionScheduler scheduler;
  private boolean loaded;
  /** The term this node leads according to its Raft member, or -1. */
  private long ledTerm = -1;
  /** The term of the last {@code cluster.leader} event applied: decisions of other terms are refused. */
  private long fencedTerm = -1;
  private boolean passQueued;
  private boolean assigning;
  private boolean timingOut;
  private long lastEvict;

  public MissionVerticle(CenterConfig.Missions missions, CenterConfig.Scheduler config) {
    this(missions, config, System::currentTimeMillis);
  }

  MissionVerticle(CenterConfig.Missions missions, CenterConfig.Scheduler config, LongSupplier clock) {
    this.missions = missions;
    this.config = config;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    control = new ControlClient(vertx);
    scheduler = new MissionScheduler(new Placement(Feasibility.ALL, Ranking.named(config.strategy())),
        MAX_ASSIGNMENTS_PER_PASS, MAX_SCAN_PER_PASS);
    var bus = vertx.eventBus();
    consumers.add(bus.<Applied>localConsumer(ControlClient.APPLIED, m -> onApplied(m.body())));
    consumers.add(bus.<NodeStatus>localConsumer(RaftVerticle.ROLE, m -> onRole(m.body())));
    consumers.add(bus.<ControlSnapshot>localConsumer(ControlClient.RESTORED, m -> onRestored(m.body())));
    consumers.add(bus.<JsonObject>localConsumer(DeviceSignals.TELEMETRY, m -> onTelemetry(m.body())));
    List<Future<?>> ready = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) ready.add(c.completion());
    return Future.all(ready)
        .compose(v -> control.snapshot())
        .onSuccess(snapshot -> {
          view.load(snapshot);
          fencedTerm = snapshot.term();
          buffered.forEach(view::apply);
          buffered.clear();
          loaded = true;
          vertx.setPeriodic(config.tickMs(), id -> pass());
        })
        .compose(v -> control.status())
        .onSuccess(this::onRole);
  }

  private void onRestored(ControlSnapshot snapshot) {
    if (!loaded) return;
    view.load(snapshot);
    fencedTerm = snapshot.term();
    queuePass();
  }

  private void onApplied(Applied applied) {
    if (!loaded) {
      buffered.add(applied);
      return;
    }
    view.apply(applied);
    for (Event e : applied.events()) {
      if (e.type().equals("cluster.leader")) {
        fencedTerm = e.detail().getLong("term");
        if (deciding()) log.info("Scheduling on this node (term {})", fencedTerm);
      }
      if (mayEnableAssignment(e.type())) {
        queuePass();
        return;
      }
    }
  }

  /**
   * Whether an event can make an assignment possible: a mission to place, or a device that came,
   * changed or freed capacity. Acceptance and progress cannot, and are most of the stream.
   */
  private static boolean mayEnableAssignment(String type) {
    return switch (type) {
      case "mission.accepted", "mission.running", "mission.progress", "mission.assigned",
           "device.registered", "device.offline", "device.draining" -> false;
      default -> true;
    };
  }

  /**
   * Decides only as the leader of the current term and only once that term's first entry is
   * applied: by then every decision of earlier leaders is either applied or refused, and the view
   * holds everything committed before.
   */
  private boolean deciding() {
    return ledTerm >= 0 && ledTerm == fencedTerm;
  }

  private void onRole(NodeStatus status) {
    boolean was = deciding();
    ledTerm = "LEADER".equals(status.role()) ? status.term() : -1;
    if (was && !deciding()) log.info("Stopped scheduling on this node ({} in term {})", status.role(), status.term());
    if (deciding()) queuePass();
  }

  private void onTelemetry(JsonObject t) {
    String id = t.getString("deviceId");
    if (id == null) return;
    view.telemetry(id, new SchedulerView.Telemetry(number(t, "battery"), number(t, "lat"), number(t, "lon")));
  }

  private static Double number(JsonObject t, String key) {
    Object v = t.getValue(key);
    return v instanceof Number n ? n.doubleValue() : null;
  }

  private void queuePass() {
    if (passQueued) return;
    passQueued = true;
    context.runOnContext(v -> {
      passQueued = false;
      pass();
    });
  }

  private void pass() {
    if (!loaded || !deciding()) return;
    long term = fencedTerm;
    long now = clock.getAsLong();
    if (!assigning || !timingOut) {
      MissionScheduler.Plan plan = scheduler.plan(view, now, pending);
      if (!assigning && !plan.assignments().isEmpty()) proposeAssignments(plan.assignments(), term, now);
      if (!timingOut && (!plan.timeouts().isEmpty() || !plan.expired().isEmpty())) {
        proposeEndings(plan.timeouts(), plan.expired(), term, now);
      } else if (timingOut) {
        requeueDue(plan.timeouts(), plan.expired());
      }
    }
    if (now - lastEvict >= EVICT_EVERY_MS) {
      lastEvict = now;
      control.proposeCommitted(new Command.EvictFinished(now - missions.retainFinishedSec() * 1000L,
          now - missions.idempotencyRetentionSec() * 1000L, term, now))
          .onFailure(e -> log.debug("eviction not proposed: {}", e.getMessage()));
    }
  }

  private void proposeAssignments(List<Assignment> assignments, long term, long now) {
    assigning = true;
    for (Assignment a : assignments) pending.add(a.missionId());
    control.proposeCommitted(new Command.AssignMissions(assignments, term, now))
        .onComplete(ar -> {
          assigning = false;
          for (Assignment a : assignments) pending.remove(a.missionId());
          if (ar.failed()) log.warn("assignments not committed: {}", ar.cause().getMessage());
          queuePass();
        });
  }

  private void proposeEndings(List<AttemptRef> timeouts, List<String> expired, long term, long now) {
    timingOut = true;
    Future<?> t = timeouts.isEmpty() ? Future.succeededFuture()
        : control.proposeCommitted(new Command.TimeOutAttempts(timeouts, term, now));
    Future<?> e = expired.isEmpty() ? Future.succeededFuture()
        : control.proposeCommitted(new Command.ExpireMissions(expired, term, now));
    Future.join(t, e).onComplete(ar -> {
      timingOut = false;
      if (t.failed() || e.failed()) {
        log.warn("timeouts/expiries not committed, retrying: {}", ar.cause() == null ? "" : ar.cause().getMessage());
        requeueDue(t.failed() ? timeouts : List.of(), e.failed() ? expired : List.of());
      }
    });
  }

  /** Puts due checks that could not be proposed now back for the next pass. */
  private void requeueDue(List<AttemptRef> timeouts, List<String> expired) {
    long later = clock.getAsLong() + MissionScheduler.RECHECK_MS;
    for (AttemptRef r : timeouts) view.attemptsDue.add(new SchedulerView.Due(later, r.missionId(), r.attempt()));
    for (String id : expired) view.deadlines.add(new SchedulerView.Due(later, id, 0));
  }
}
