package io.falconmind.center.store;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlPolicy;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.ControlStateMachine;
import io.falconmind.center.control.MissionSpec;
import io.falconmind.center.control.Requirements;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Drives the real state machine with commands, numbering log indexes and keeping a clock, and
 * records every {@link Applied} it produced: the store's input in tests.
 */
final class ControlScript {

  static final long START = 1_900_000_000_000L;

  private final ControlStateMachine machine;
  private final List<Applied> applied = new ArrayList<>();
  private long index;
  private long now = START;

  ControlScript() {
    this(new ControlState());
  }

  ControlScript(ControlState state) {
    this.machine = new ControlStateMachine(state, ControlPolicy.DEFAULT);
    this.index = state.index();
  }

  ControlState state() {
    return machine.state();
  }

  List<Applied> applied() {
    return applied;
  }

  long now() {
    return now;
  }

  ControlScript advance(long ms) {
    now += ms;
    return this;
  }

  Applied apply(Command command) {
    Applied a = machine.apply(++index, command);
    applied.add(a);
    return a;
  }

  Applied register(String deviceId) {
    return apply(new Command.RegisterDevice(deviceId, "name of " + deviceId, Map.of("site", "north"),
        "salt$hash-" + deviceId, now));
  }

  Applied connect(String deviceId, String nodeId) {
    return apply(new Command.DeviceConnected(deviceId, nodeId, now));
  }

  Applied remove(String deviceId) {
    return apply(new Command.RemoveDevice(deviceId, now));
  }

  Applied submit(String missionId, String type) {
    return submit(missionId, type, null);
  }

  Applied submit(String missionId, String type, String idempotencyKey) {
    return apply(new Command.SubmitMissions(List.of(spec(missionId, type, idempotencyKey)), now));
  }

  static MissionSpec spec(String missionId, String type, String idempotencyKey) {
    return new MissionSpec(missionId, type, 50, new JsonObject().put("target", missionId), Requirements.NONE,
        300, 3, null, idempotencyKey, idempotencyKey == null ? null : "hash-of-" + missionId);
  }

  Applied assign(String missionId, String deviceId) {
    int attempt = state().mission(missionId).attempt() + 1;
    return apply(new Command.AssignMissions(List.of(new Command.Assignment(missionId, deviceId, attempt)), 0, now));
  }

  Applied report(String missionId, AttemptStatus status) {
    var m = state().mission(missionId);
    return apply(new Command.ReportStatuses(List.of(new Command.StatusReport(missionId, m.deviceId(), m.attempt(),
        status, status == AttemptStatus.RUNNING ? 10 : null,
        status == AttemptStatus.SUCCEEDED ? new JsonObject().put("ok", true) : null, null)), now));
  }

  Applied cancel(String missionId) {
    return apply(new Command.CancelMission(missionId, "no longer needed", now));
  }

  /** A command that changes nothing: a decision of a stale term, an entry without events. */
  Applied noEvents() {
    return apply(new Command.ExpireMissions(List.of(), -1, now));
  }
}
