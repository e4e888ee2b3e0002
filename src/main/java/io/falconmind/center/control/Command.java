package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * A change of the control state, proposed to Raft and applied on every node by
 * {@link ControlStateMachine}. Commands are pure data: the proposer stamps the time ({@link #at()},
 * epoch ms) and makes every choice (ids, assignments), so applying one is deterministic.
 */
public sealed interface Command {

  /** When the proposer made the command; the state machine's only clock. */
  long at();

  record RegisterDevice(String id, String name, Map<String, String> labels, String tokenHash, long at)
      implements Command {
  }

  record RemoveDevice(String id, long at) implements Command {
  }

  record SetDraining(String id, boolean draining, long at) implements Command {
  }

  /** The device's MQTT session opened on {@code nodeId}. */
  record DeviceConnected(String id, String nodeId, long at) implements Command {
  }

  /** The device's session on {@code nodeId} is gone past its grace period. */
  record DeviceDisconnected(String id, String nodeId, long at) implements Command {
  }

  record UpdateProfile(String id, String kind, List<String> capabilities, int capacity,
                       JsonObject specs, Map<String, String> labels, long at) implements Command {
  }

  record SubmitMissions(List<MissionSpec> missions, long at) implements Command {
  }

  /**
   * A decision of the leader's scheduler, valid only in the term it was made in: the state machine
   * refuses it once a later {@link NewTerm} is applied, so a deposed leader's decisions never take
   * effect.
   */
  sealed interface Decision extends Command {
    /** The leader term the decision was made in. */
    long term();
  }

  /** The scheduler's decisions: each names the attempt number it opens. */
  record AssignMissions(List<Assignment> assignments, long term, long at) implements Decision {
  }

  record Assignment(String missionId, String deviceId, int attempt) {
  }

  record ReportStatuses(List<StatusReport> reports, long at) implements Command {
  }

  /**
   * One status message of a device.
   *
   * @param error {@code code}, {@code message}, {@code retryable} for FAILED and REJECTED
   */
  record StatusReport(String missionId, String deviceId, int attempt, AttemptStatus status,
                      Integer progress, JsonObject result, JsonObject error) {
  }

  record CancelMission(String id, String reason, long at) implements Command {
  }

  record TimeOutAttempts(List<AttemptRef> attempts, long term, long at) implements Decision {
  }

  record AttemptRef(String missionId, int attempt) {
  }

  record ExpireMissions(List<String> ids, long term, long at) implements Decision {
  }

  /**
   * Drops finished missions (already persisted) and old idempotency keys from memory; history
   * queries read them from the store.
   */
  record EvictFinished(long finishedBefore, long keysBefore, long term, long at) implements Decision {
  }

  /**
   * Committed first in every term by its new leader: from here on only {@link Decision}s of
   * {@code term} are accepted, which fences the decisions of earlier leaders.
   */
  record NewTerm(long term, String leader, long at) implements Command {
  }
}
