package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.falconmind.center.control.Fleet.aMission;
import static org.assertj.core.api.Assertions.assertThat;

class ControlStateMachineTest {

  private final Fleet fleet = new Fleet().device("d1", "drone", 1, "camera").device("d2", "drone", 1, "camera");

  @Test
  void runsAMissionFromSubmitToSuccess() {
    fleet.submit(aMission("m1").build());
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.QUEUED);

    Applied assigned = fleet.assign("m1", "d1", 1);
    assertThat(assigned.events()).extracting(Event::type).containsExactly("mission.assigned");
    assertThat(fleet.state.device("d1").activeMissions()).containsExactly("m1");

    fleet.report("m1", "d1", 1, AttemptStatus.ACCEPTED, null);
    fleet.report("m1", "d1", 1, AttemptStatus.RUNNING, null);
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.RUNNING);
    Applied done = fleet.report("m1", "d1", 1, AttemptStatus.SUCCEEDED, null);

    Mission m = fleet.mission("m1");
    assertThat(m.state()).isEqualTo(MissionState.SUCCEEDED);
    assertThat(m.progress()).isEqualTo(100);
    assertThat(m.attempts()).singleElement().satisfies(a -> {
      assertThat(a.outcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      assertThat(a.acceptedAt()).isNotNull();
      assertThat(a.startedAt()).isNotNull();
    });
    assertThat(done.events()).extracting(Event::type).containsExactly("mission.succeeded");
    assertThat(fleet.state.device("d1").activeMissions()).isEmpty();
  }

  @Test
  void numbersEventsWithoutGapsAcrossCommands() {
    long before = fleet.state.seq();
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    Applied last = fleet.report("m1", "d1", 1, AttemptStatus.RUNNING, null);
    assertThat(last.lastSeq()).isEqualTo(before + 3);
  }

  @Test
  void idempotentSubmitReturnsTheFirstMissionAndRefusesADifferentBody() {
    fleet.submit(aMission("m1").idempotencyKey("k", "hash-a").build());
    Applied replay = fleet.submit(aMission("m2").idempotencyKey("k", "hash-a").build());
    Applied other = fleet.submit(aMission("m3").idempotencyKey("k", "hash-b").build());

    JsonObject item = replay.reply().getJsonArray("items").getJsonObject(0);
    assertThat(item.getBoolean("created")).isFalse();
    assertThat(item.getString("missionId")).isEqualTo("m1");
    assertThat(replay.events()).isEmpty();
    assertThat(other.reply().getJsonArray("items").getJsonObject(0).getJsonObject("error").getInteger("status"))
        .isEqualTo(409);
    assertThat(fleet.state.missions()).hasSize(1);
  }

  @Test
  void refusesAssignmentsThatNoLongerHold() {
    fleet.submit(aMission("m1").build());
    fleet.submit(aMission("m2").build());
    fleet.assign("m1", "d1", 1);

    assertThat(refusal(fleet.assign("m1", "d2", 1))).isEqualTo("mission is ASSIGNED");
    assertThat(refusal(fleet.assign("m2", "d1", 1))).isEqualTo("device at capacity");
    fleet.apply(new Command.SetDraining("d2", true, fleet.now));
    assertThat(refusal(fleet.assign("m2", "d2", 1))).isEqualTo("device draining");
    assertThat(fleet.mission("m2").state()).isEqualTo(MissionState.QUEUED);
  }

  @Test
  void retriesARejectedMissionAfterABackoffUntilAttemptsRunOut() {
    fleet.submit(aMission("m1").maxAttempts(2).build());
    fleet.assign("m1", "d1", 1);
    Applied rejected = fleet.report("m1", "d1", 1, AttemptStatus.REJECTED, null);

    Mission m = fleet.mission("m1");
    assertThat(rejected.events()).extracting(Event::type).containsExactly("mission.retrying");
    assertThat(m.state()).isEqualTo(MissionState.QUEUED);
    assertThat(m.notBefore()).isBetween(fleet.now + 500, fleet.now + 1000);
    assertThat(refusal(fleet.assign("m1", "d2", 2))).isEqualTo("in backoff");

    fleet.now = m.notBefore();
    fleet.assign("m1", "d2", 2);
    fleet.report("m1", "d2", 2, AttemptStatus.REJECTED, null);
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.FAILED);
    assertThat(fleet.mission("m1").attempts()).extracting(Attempt::outcome)
        .containsExactly(AttemptOutcome.REJECTED, AttemptOutcome.REJECTED);
  }

  @Test
  void failsAtOnceWhenTheDeviceSaysTheFailureIsNotRetryable() {
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    fleet.report("m1", "d1", 1, AttemptStatus.FAILED,
        new JsonObject().put("code", "broken").put("message", "no").put("retryable", false));
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.FAILED);
    assertThat(fleet.mission("m1").error().getString("code")).isEqualTo("broken");
  }

  @Test
  void requeuesARetryableFailure() {
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    Applied failed = fleet.report("m1", "d1", 1, AttemptStatus.FAILED,
        new JsonObject().put("code", "wind").put("message", "too windy").put("retryable", true));
    assertThat(failed.events().get(0).detail().getString("outcome")).isEqualTo("FAILED");
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.QUEUED);
  }

  @Test
  void timesOutAnAttemptOnlyOnceItsTimeHasCome() {
    fleet.submit(aMission("m1").timeoutSec(10).build());
    fleet.assign("m1", "d1", 1);
    var ref = List.of(new Command.AttemptRef("m1", 1));

    fleet.now += 9_999;
    fleet.apply(new Command.TimeOutAttempts(ref, 0, fleet.now));
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.ASSIGNED);

    fleet.now += 1;
    Applied timedOut = fleet.apply(new Command.TimeOutAttempts(ref, 0, fleet.now));
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.QUEUED);
    assertThat(timedOut.events().get(0).revoke().getString("deviceId")).isEqualTo("d1");
    assertThat(fleet.mission("m1").attempts().get(0).outcome()).isEqualTo(AttemptOutcome.TIMED_OUT);
  }

  @Test
  void endsTheAttemptsOfADeviceThatGoesOffline() {
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    fleet.apply(new Command.DeviceDisconnected("d1", "other-node", fleet.now));
    assertThat(fleet.state.device("d1").online()).isTrue();

    fleet.apply(new Command.DeviceDisconnected("d1", "n1", fleet.now));
    assertThat(fleet.state.device("d1").online()).isFalse();
    assertThat(fleet.mission("m1").attempts().get(0).outcome()).isEqualTo(AttemptOutcome.DEVICE_LOST);
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.QUEUED);
  }

  @Test
  void refusesStatusOfAnAttemptThatIsNotOpenOnTheDevice() {
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    Applied wrongDevice = fleet.report("m1", "d2", 1, AttemptStatus.SUCCEEDED, null);
    Applied wrongAttempt = fleet.report("m1", "d1", 2, AttemptStatus.SUCCEEDED, null);
    Applied unknown = fleet.report("nope", "d1", 1, AttemptStatus.SUCCEEDED, null);

    assertThat(resultStatus(wrongDevice)).isEqualTo(409);
    assertThat(resultStatus(wrongAttempt)).isEqualTo(409);
    assertThat(resultStatus(unknown)).isEqualTo(404);
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.ASSIGNED);
  }

  @Test
  void cancelsARunningMissionAndTellsTheDevice() {
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    Applied canceled = fleet.apply(new Command.CancelMission("m1", "not needed", fleet.now));

    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.CANCELED);
    assertThat(canceled.events().get(0).revoke().getString("reason")).isEqualTo("not needed");
    assertThat(fleet.state.device("d1").activeMissions()).isEmpty();
    Applied again = fleet.apply(new Command.CancelMission("m1", null, fleet.now));
    assertThat(again.reply().getJsonObject("error").getInteger("status")).isEqualTo(409);
  }

  @Test
  void expiresAQueuedMissionPastItsDeadline() {
    fleet.submit(aMission("m1").deadline(fleet.now + 5_000).build());
    fleet.apply(new Command.ExpireMissions(List.of("m1"), 0, fleet.now + 4_999));
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.QUEUED);
    fleet.now += 5_000;
    assertThat(refusal(fleet.assign("m1", "d1", 1))).isEqualTo("deadline passed");
    fleet.apply(new Command.ExpireMissions(List.of("m1"), 0, fleet.now));
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.EXPIRED);
  }

  @Test
  void aNewTermRefusesTheDecisionsOfEarlierLeaders() {
    fleet.submit(aMission("m1").build());
    Applied elected = fleet.apply(new Command.NewTerm(7, "node-b", fleet.now));
    assertThat(elected.events()).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo("cluster.leader");
      assertThat(e.detail().getLong("term")).isEqualTo(7L);
      assertThat(e.detail().getString("leader")).isEqualTo("node-b");
    });
    long seq = fleet.state.seq();
    Applied stale = fleet.apply(new Command.AssignMissions(List.of(new Command.Assignment("m1", "d1", 1)), 6, fleet.now));
    assertThat(stale.reply().getJsonObject("error").getString("code")).isEqualTo("stale-term");
    assertThat(fleet.state.seq()).isEqualTo(seq);
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.QUEUED);
    fleet.apply(new Command.AssignMissions(List.of(new Command.Assignment("m1", "d1", 1)), 7, fleet.now));
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.ASSIGNED);
    assertThat(fleet.state.snapshot().term()).isEqualTo(7L);
  }

  @Test
  void evictsOnlyMissionsFinishedBeforeTheCutoff() {
    fleet.submit(aMission("m1").build());
    fleet.submit(aMission("m2").build());
    fleet.apply(new Command.CancelMission("m1", null, fleet.now));
    fleet.apply(new Command.EvictFinished(fleet.now + 1, 0, 0, fleet.now + 1));
    assertThat(fleet.mission("m1")).isNull();
    assertThat(fleet.mission("m2")).isNotNull();
  }

  @Test
  void removingADeviceReleasesItsMissions() {
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    Applied removed = fleet.apply(new Command.RemoveDevice("d1", fleet.now));
    assertThat(fleet.state.device("d1")).isNull();
    assertThat(fleet.mission("m1").state()).isEqualTo(MissionState.QUEUED);
    assertThat(removed.events()).extracting(Event::type).containsExactly("mission.retrying", "device.removed");
  }

  @Test
  void twoReplicasApplyingTheSameCommandsAgree() {
    Fleet a = new Fleet();
    Fleet b = new Fleet();
    for (Fleet f : List.of(a, b)) {
      f.device("d1", "rover", 2, "gps");
      f.submit(aMission("m1").build());
      f.submit(aMission("m2").priority(90).build());
      f.assign("m2", "d1", 1);
      f.report("m2", "d1", 1, AttemptStatus.FAILED, new JsonObject().put("code", "x").put("retryable", true));
    }
    assertThat(a.state.snapshot().missions()).containsExactlyInAnyOrderElementsOf(b.state.snapshot().missions());
    assertThat(a.state.seq()).isEqualTo(b.state.seq());
  }

  @Test
  void restoringASnapshotRecomputesDeviceLoad() {
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    ControlSnapshot snap = fleet.state.snapshot();
    ControlState copy = new ControlState();
    copy.restore(new ControlSnapshot(0, snap.seq(),
        snap.devices().stream().map(d -> d.withActive(List.of())).toList(), snap.missions(), Map.of(), 0));
    assertThat(copy.device("d1").activeMissions()).containsExactly("m1");
    assertThat(copy.seq()).isEqualTo(fleet.state.seq());
  }

  @Test
  void aProfileAddsItsLabelsOverTheOperatorsLabels() {
    fleet.apply(new Command.RegisterDevice("d9", "d9", Map.of("zone", "north", "team", "a"), "s$h", fleet.now));
    fleet.apply(new Command.UpdateProfile("d9", "rover", List.of(), 1, new JsonObject(), Map.of(), fleet.now));
    assertThat(fleet.state.device("d9").labels()).containsEntry("zone", "north").containsEntry("team", "a");
    fleet.apply(new Command.UpdateProfile("d9", "rover", List.of(), 1, new JsonObject(),
        Map.of("team", "b", "fw", "1.2"), fleet.now));
    assertThat(fleet.state.device("d9").labels())
        .containsEntry("zone", "north").containsEntry("team", "b").containsEntry("fw", "1.2");
  }

  @Test
  void missionJsonRoundTrips() {
    fleet.submit(aMission("m1").deadline(fleet.now + 60_000).build());
    fleet.assign("m1", "d1", 1);
    fleet.report("m1", "d1", 1, AttemptStatus.REJECTED, null);
    Mission m = fleet.mission("m1");
    assertThat(Mission.fromJson(m.toJson())).isEqualTo(m);
  }

  private static String refusal(Applied a) {
    var refused = a.reply().getJsonArray("refused");
    return refused.isEmpty() ? null : refused.getJsonObject(0).getString("reason");
  }

  private static int resultStatus(Applied a) {
    return a.reply().getJsonArray("results").getJsonObject(0).getJsonObject("error").getInteger("status");
  }
}
