package io.falconmind.center.control;

import io.falconmind.center.control.Command.AssignMissions;
import io.falconmind.center.control.Command.Assignment;
import io.falconmind.center.control.Command.AttemptRef;
import io.falconmind.center.control.Command.CancelMission;
import io.falconmind.center.control.Command.DeviceConnected;
import io.falconmind.center.control.Command.DeviceDisconnected;
import io.falconmind.center.control.Command.EvictFinished;
import io.falconmind.center.control.Command.ExpireMissions;
import io.falconmind.center.control.Command.NewTerm;
import io.falconmind.center.control.Command.RegisterDevice;
import io.falconmind.center.control.Command.RemoveDevice;
import io.falconmind.center.control.Command.ReportStatuses;
import io.falconmind.center.control.Command.SetDraining;
import io.falconmind.center.control.Command.StatusReport;
import io.falconmind.center.control.Command.SubmitMissions;
import io.falconmind.center.control.Command.TimeOutAttempts;
import io.falconmind.center.control.Command.UpdateProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The one deterministic function of the control plane: {@code apply(state, command) -> events}.
 * No clock, randomness or I/O: time comes from the command, jitter from {@link ControlPolicy}.
 * Applying the same commands in the same order to the same state yields the same state, events
 * and replies on every node. Not thread-safe: one thread applies.
 */
public final class ControlStateMachine {

  private final ControlState state;
  private final ControlPolicy policy;
  private List<Event> events;
  private long now;

  public ControlStateMachine(ControlState state, ControlPolicy policy) {
    this.state = state;
    this.policy = policy;
  }

  public ControlState state() {
    return state;
  }

  /** Applies the command committed at {@code index}. */
  public Applied apply(long index, Command command) {
    events = new ArrayList<>();
    now = command.at();
    state.index = index;
    JsonObject reply = dispatch(command);
    Applied applied = new Applied(index, List.copyOf(events), reply);
    events = null;
    return applied;
  }

  private JsonObject dispatch(Command command) {
    if (command instanceof Command.Decision d && d.term() != state.term) {
      return Refusal.of(409, "stale-term", "decided in leader term " + d.term() + ", but term "
          + state.term + " has begun");
    }
    if (command instanceof SubmitMissions c) return submit(c);
    if (command instanceof AssignMissions c) return assign(c);
    if (command instanceof ReportStatuses c) return report(c);
    if (command instanceof TimeOutAttempts c) return timeOut(c);
    if (command instanceof ExpireMissions c) return expire(c);
    if (command instanceof CancelMission c) return cancel(c);
    if (command instanceof EvictFinished c) return evict(c);
    if (command instanceof RegisterDevice c) return register(c);
    if (command instanceof RemoveDevice c) return remove(c);
    if (command instanceof SetDraining c) return drain(c);
    if (command instanceof DeviceConnected c) return connected(c);
    if (command instanceof DeviceDisconnected c) return disconnected(c);
    if (command instanceof UpdateProfile c) return profile(c);
    if (command instanceof NewTerm c) return newTerm(c);
    throw new IllegalArgumentException("unknown command " + command.getClass().getName());
  }

  /** A new leader's first entry: its term fences every earlier decision. */
  private JsonObject newTerm(NewTerm c) {
    state.term = c.term();
    emit("cluster.leader", null, null, new JsonObject().put("term", c.term()).put("leader", c.leader()), null);
    return new JsonObject();
  }

  // ---- devices ------------------------------------------------------------------------------

  private JsonObject register(RegisterDevice c) {
    if (state.devices.containsKey(c.id())) {
      return Refusal.of(409, "device-exists", "a device with id '" + c.id() + "' is already registered");
    }
    Device d = Device.registered(c.id(), c.name(), c.labels(), c.tokenHash(), now);
    state.devices.put(d.id(), d);
    emit("device.registered", null, d, null, null);
    return new JsonObject().put("device", d.toJson());
  }

  private JsonObject remove(RemoveDevice c) {
    Device d = state.devices.get(c.id());
    if (d == null) return Refusal.notFound("device", c.id());
    for (String missionId : d.activeMissions()) {
      Mission m = state.missions.get(missionId);
      if (m != null) endAttempt(m, AttemptOutcome.DEVICE_LOST, lost("device removed"), true, "device removed");
    }
    d = state.devices.remove(c.id());
    emit("device.removed", null, d.withActive(List.of()).disconnected(now), null, null);
    return new JsonObject();
  }

  private JsonObject drain(SetDraining c) {
    Device d = state.devices.get(c.id());
    if (d == null) return Refusal.notFound("device", c.id());
    d = d.draining(c.draining(), now);
    state.devices.put(d.id(), d);
    emit(c.draining() ? "device.draining" : "device.undrained", null, d, null, null);
    return new JsonObject().put("device", d.toJson());
  }

  private JsonObject connected(DeviceConnected c) {
    Device d = state.devices.get(c.id());
    if (d == null) return Refusal.notFound("device", c.id());
    d = d.connected(c.nodeId(), now);
    state.devices.put(d.id(), d);
    emit("device.online", null, d, null, null);
    JsonArray open = new JsonArray();
    for (Mission m : state.openAssignments(d.id())) open.add(m.id());
    return new JsonObject().put("device", d.toJson()).put("openAssignments", open);
  }

  private JsonObject disconnected(DeviceDisconnected c) {
    Device d = state.devices.get(c.id());
    if (d == null) return Refusal.notFound("device", c.id());
    if (!d.online() || !c.nodeId().equals(d.nodeId())) {
      return new JsonObject().put("ignored", "device is not online on node " + c.nodeId());
    }
    for (String missionId : d.activeMissions()) {
      Mission m = state.missions.get(missionId);
      if (m != null) endAttempt(m, AttemptOutcome.DEVICE_LOST, lost("device went offline"), true, "device lost");
    }
    d = state.devices.get(c.id()).disconnected(now);
    state.devices.put(d.id(), d);
    emit("device.offline", null, d, null, null);
    return new JsonObject().put("device", d.toJson());
  }

  private JsonObject profile(UpdateProfile c) {
    Device d = state.devices.get(c.id());
    if (d == null) return Refusal.notFound("device", c.id());
    d = d.withProfile(c.kind(), c.capabilities(), c.capacity(), c.specs(), c.labels(), now);
    state.devices.put(d.id(), d);
    emit("device.updated", null, d, null, null);
    return new JsonObject().put("device", d.toJson());
  }

  // ---- missions -----------------------------------------------------------------------------

  private JsonObject submit(SubmitMissions c) {
    JsonArray items = new JsonArray();
    for (MissionSpec spec : c.missions()) items.add(submitOne(spec));
    return new JsonObject().put("items", items);
  }

  private JsonObject submitOne(MissionSpec spec) {
    if (spec.idempotencyKey() != null) {
      ControlState.KeyUse use = state.keys.get(spec.idempotencyKey());
      if (use != null) {
        if (!use.requestHash().equals(spec.requestHash())) {
          return Refusal.of(409, "idempotency-key-reused",
              "idempotency key '" + spec.idempotencyKey() + "' was used for a different mission ("
                  + use.missionId() + ")");
        }
        Mission existing = state.missions.get(use.missionId());
        JsonObject item = new JsonObject().put("created", false).put("missionId", use.missionId());
        return existing == null ? item : item.put("mission", existing.toJson());
      }
    }
    if (state.missions.containsKey(spec.id())) {
      return Refusal.of(409, "mission-exists", "a mission with id '" + spec.id() + "' exists");
    }
    Mission m = Mission.submitted(spec, now);
    state.missions.put(m.id(), m);
    if (spec.idempotencyKey() != null) {
      state.keys.put(spec.idempotencyKey(), new ControlState.KeyUse(m.id(), spec.requestHash(), now));
    }
    // the store keeps the request hash so that idempotency keys survive a full restart
    emit("mission.submitted", m, null, new JsonObject().put("requestHash", spec.requestHash()), null);
    return new JsonObject().put("created", true).put("missionId", m.id()).put("mission", m.toJson());
  }

  private JsonObject assign(AssignMissions c) {
    JsonArray applied = new JsonArray();
    JsonArray refused = new JsonArray();
    for (Assignment a : c.assignments()) {
      String why = assignOne(a);
      if (why == null) applied.add(a.missionId());
      else refused.add(new JsonObject().put("missionId", a.missionId()).put("reason", why));
    }
    return new JsonObject().put("applied", applied).put("refused", refused);
  }

  /** Returns why the assignment cannot be made, or null once it is made. */
  private String assignOne(Assignment a) {
    Mission m = state.missions.get(a.missionId());
    if (m == null) return "unknown mission";
    if (m.state() != MissionState.QUEUED) return "mission is " + m.state();
    if (a.attempt() != m.attempt() + 1) return "stale attempt " + a.attempt();
    if (m.attempt() >= m.maxAttempts()) return "no attempts left";
    if (m.deadline() != null && now >= m.deadline()) return "deadline passed";
    if (now < m.notBefore()) return "in backoff";
    Device d = state.devices.get(a.deviceId());
    if (d == null) return "unknown device";
    if (!d.online()) return "device offline";
    if (d.draining()) return "device draining";
    if (!d.hasFreeCapacity()) return "device at capacity";
    m = m.assigned(d.id(), a.attempt(), now);
    d = d.holding(m.id());
    state.missions.put(m.id(), m);
    state.devices.put(d.id(), d);
    emit("mission.assigned", m, d, null, null);
    return null;
  }

  private JsonObject report(ReportStatuses c) {
    JsonArray results = new JsonArray();
    for (StatusReport r : c.reports()) results.add(reportOne(r));
    return new JsonObject().put("results", results);
  }

  private JsonObject reportOne(StatusReport r) {
    Mission m = state.missions.get(r.missionId());
    if (m == null) return Refusal.notFound("mission", r.missionId());
    if (!r.deviceId().equals(m.deviceId()) || r.attempt() != m.attempt() || !m.state().active()) {
      return Refusal.of(409, "attempt-not-open", "attempt " + r.attempt() + " of mission "
          + m.id() + " is not open on device " + r.deviceId() + " (mission is " + m.state() + ")");
    }
    Attempt current = m.currentAttempt();
    switch (r.status()) {
      case ACCEPTED -> {
        if (current.acceptedAt() == null) {
          m = m.withCurrentAttempt(current.accepted(now), m.state(), m.progress(), now);
          state.missions.put(m.id(), m);
          emit("mission.accepted", m, null, null, null);
        }
      }
      case RUNNING -> {
        int progress = r.progress() == null ? 0 : r.progress();
        if (m.state() == MissionState.ASSIGNED) {
          m = m.withCurrentAttempt(current.started(now), MissionState.RUNNING, progress, now);
          state.missions.put(m.id(), m);
          emit("mission.running", m, null, null, null);
        } else if (m.progress() == null || progress != m.progress()) {
          m = m.progressed(progress, now);
          state.missions.put(m.id(), m);
          emit("mission.progress", m, null, null, null);
        }
      }
      case SUCCEEDED -> {
        m = m.withCurrentAttempt(current.ended(now, AttemptOutcome.SUCCEEDED, null), m.state(),
            m.progress(), now).finished(MissionState.SUCCEEDED, r.result(), null, now);
        emit("mission.succeeded", m, release(m), null, null);
      }
      case FAILED -> {
        JsonObject error = r.error() == null
            ? new JsonObject().put("code", "failed").put("message", "device reported failure").put("retryable", false)
            : r.error();
        endAttempt(m, AttemptOutcome.FAILED, error, error.getBoolean("retryable", false), null);
      }
      case REJECTED -> {
        JsonObject error = r.error() == null
            ? new JsonObject().put("code", "rejected").put("message", "device rejected the mission").put("retryable", true)
            : r.error();
        endAttempt(m, AttemptOutcome.REJECTED, error, true, null);
      }
    }
    return new JsonObject().put("ok", true);
  }

  private JsonObject cancel(CancelMission c) {
    Mission m = state.missions.get(c.id());
    if (m == null) return Refusal.notFound("mission", c.id());
    if (m.state().terminal()) {
      return Refusal.of(409, "mission-finished", "mission " + m.id() + " already ended " + m.state());
    }
    String reason = c.reason() == null ? "canceled by operator" : c.reason();
    JsonObject error = new JsonObject().put("code", "canceled").put("message", reason).put("retryable", false);
    JsonObject revoke = null;
    if (m.state().active()) {
      revoke = revoke(m, reason);
      m = m.withCurrentAttempt(m.currentAttempt().ended(now, AttemptOutcome.CANCELED, error), m.state(),
          m.progress(), now);
    }
    m = m.finished(MissionState.CANCELED, null, error, now);
    Device freed = null;
    if (revoke != null) freed = release(m);
    else state.missions.put(m.id(), m);
    emit("mission.canceled", m, freed, null, revoke);
    return new JsonObject().put("mission", m.toJson());
  }

  private JsonObject timeOut(TimeOutAttempts c) {
    int count = 0;
    for (AttemptRef ref : c.attempts()) {
      Mission m = state.missions.get(ref.missionId());
      if (m == null || !m.state().active() || m.attempt() != ref.attempt()) continue;
      if (now < m.currentAttempt().assignedAt() + m.timeoutSec() * 1000L) continue;
      JsonObject error = new JsonObject().put("code", "timed-out")
          .put("message", "attempt did not finish within " + m.timeoutSec() + " s").put("retryable", true);
      endAttempt(m, AttemptOutcome.TIMED_OUT, error, true, "attempt timed out");
      count++;
    }
    return new JsonObject().put("timedOut", count);
  }

  private JsonObject expire(ExpireMissions c) {
    int count = 0;
    for (String id : c.ids()) {
      Mission m = state.missions.get(id);
      if (m == null || m.state() != MissionState.QUEUED || m.deadline() == null || now < m.deadline()) continue;
      JsonObject error = new JsonObject().put("code", "expired")
          .put("message", "not started before its deadline").put("retryable", false);
      m = m.finished(MissionState.EXPIRED, null, error, now);
      state.missions.put(m.id(), m);
      emit("mission.expired", m, null, null, null);
      count++;
    }
    return new JsonObject().put("expired", count);
  }

  private JsonObject evict(EvictFinished c) {
    int before = state.missions.size();
    state.missions.values().removeIf(m -> m.state().terminal() && m.finishedAt() != null
        && m.finishedAt() < c.finishedBefore());
    state.keys.values().removeIf(k -> k.at() < c.keysBefore());
    return new JsonObject().put("evicted", before - state.missions.size());
  }

  // ---- shared rules -------------------------------------------------------------------------

  /**
   * Ends the open attempt of {@code m}. A retryable end with attempts left queues the mission
   * again after the backoff; otherwise the mission fails. {@code revokeReason} non-null means the
   * device may still be working on it and must be told to stop.
   */
  private void endAttempt(Mission m, AttemptOutcome outcome, JsonObject error, boolean retryable,
                          String revokeReason) {
    JsonObject revoke = revokeReason == null ? null : revoke(m, revokeReason);
    Attempt ended = m.currentAttempt().ended(now, outcome, error);
    JsonObject detail = new JsonObject().put("attempt", m.attempt()).put("deviceId", m.deviceId())
        .put("outcome", outcome.name());
    if (error != null) detail.put("error", error);
    Mission closed = m.withCurrentAttempt(ended, m.state(), m.progress(), now);
    Mission next;
    String type;
    if (retryable && m.attempt() < m.maxAttempts()) {
      next = closed.requeued(error, now, now + policy.backoff(m.id(), m.attempt()));
      type = "mission.retrying";
    } else {
      next = closed.finished(MissionState.FAILED, null, error, now);
      type = "mission.failed";
    }
    Device d = releaseDevice(m);
    state.missions.put(next.id(), next);
    emit(type, next, d, detail, revoke);
  }

  /** Stores the finished mission and frees its device; returns the device's new version, if any. */
  private Device release(Mission finished) {
    state.missions.put(finished.id(), finished);
    return releaseDevice(finished);
  }

  private Device releaseDevice(Mission m) {
    Device d = state.devices.get(m.deviceId());
    if (d == null) return null;
    d = d.releasing(m.id());
    state.devices.put(d.id(), d);
    return d;
  }

  private JsonObject revoke(Mission m, String reason) {
    return new JsonObject().put("missionId", m.id()).put("deviceId", m.deviceId())
        .put("attempt", m.attempt()).put("reason", reason);
  }

  private static JsonObject lost(String message) {
    return new JsonObject().put("code", "device-lost").put("message", message).put("retryable", true);
  }

  private void emit(String type, Mission m, Device d, JsonObject detail, JsonObject revoke) {
    events.add(new Event(++state.seq, type, now, m, d, detail, revoke));
  }
}
