package io.falconmind.center.mission;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.Fleet;
import io.falconmind.center.control.Requirements;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.falconmind.center.control.Fleet.aMission;
import static org.assertj.core.api.Assertions.assertThat;

class MissionSchedulerTest {

  private final Fleet fleet = new Fleet();
  private final SchedulerView view = new SchedulerView();
  private final MissionScheduler scheduler =
      new MissionScheduler(new Placement(Feasibility.ALL, Ranking.BALANCED), 1000, 10_000);

  private Applied apply(Command c) {
    Applied a = fleet.apply(c);
    view.apply(a);
    return a;
  }

  private void device(String id, String kind, int capacity, String... caps) {
    apply(new Command.RegisterDevice(id, id, Map.of("zone", "north"), "s$h", fleet.now));
    apply(new Command.UpdateProfile(id, kind, List.of(caps), capacity, new JsonObject(),
        Map.of("zone", id.endsWith("s") ? "south" : "north"), fleet.now));
    apply(new Command.DeviceConnected(id, "n1", fleet.now));
  }

  private void submit(Fleet.SpecBuilder spec) {
    apply(new Command.SubmitMissions(List.of(spec.build()), fleet.now));
  }

  private List<Command.Assignment> plan() {
    return scheduler.plan(view, fleet.now, Set.of()).assignments();
  }

  private void commit(List<Command.Assignment> assignments) {
    apply(new Command.AssignMissions(assignments, 0, fleet.now));
  }

  @Test
  void assignsHigherPriorityFirstThenOlder() {
    device("d1", "drone", 1, "camera");
    submit(aMission("old-low").priority(10));
    fleet.now += 1;
    submit(aMission("old-high").priority(90));
    fleet.now += 1;
    submit(aMission("new-high").priority(90));

    assertThat(plan()).extracting(Command.Assignment::missionId).containsExactly("old-high");
  }

  @Test
  void neverPlansMoreThanADeviceCanHold() {
    device("d1", "drone", 2, "camera");
    for (int i = 0; i < 5; i++) submit(aMission("m" + i));
    List<Command.Assignment> first = plan();
    assertThat(first).hasSize(2).allMatch(a -> a.deviceId().equals("d1"));
    commit(first);
    assertThat(plan()).isEmpty();
  }

  @Test
  void balancesLoadAcrossDevices() {
    device("d1", "drone", 4, "camera");
    device("d2", "drone", 4, "camera");
    for (int i = 0; i < 4; i++) submit(aMission("m" + i));
    assertThat(plan()).extracting(Command.Assignment::deviceId).containsExactlyInAnyOrder("d1", "d1", "d2", "d2");
  }

  @Test
  void filtersByCapabilitiesKindAndLabels() {
    device("d1", "drone", 1, "camera");
    device("d2", "rover", 1, "camera", "drill");
    device("d3s", "rover", 1, "camera", "drill");
    submit(aMission("m1").requiring(new Requirements(List.of("drill"), "rover", Map.of("zone", "south"), null, null)));
    assertThat(plan()).singleElement().extracting(Command.Assignment::deviceId).isEqualTo("d3s");
  }

  @Test
  void needsReportedBatteryAndPositionWhenTheMissionAsksForThem() {
    device("d1", "drone", 1);
    device("d2", "drone", 1);
    submit(aMission("m1").requiring(new Requirements(List.of(), null, Map.of(), 50.0,
        new Requirements.Near(48.85, 2.35, 10))));
    assertThat(plan()).isEmpty();

    view.telemetry("d1", new SchedulerView.Telemetry(40.0, 48.86, 2.35));
    view.telemetry("d2", new SchedulerView.Telemetry(90.0, 48.86, 2.36));
    assertThat(plan()).singleElement().extracting(Command.Assignment::deviceId).isEqualTo("d2");

    view.telemetry("d2", new SchedulerView.Telemetry(90.0, 51.5, -0.12));
    assertThat(plan()).isEmpty();
  }

  @Test
  void prefersAnotherDeviceOnRetry() {
    device("d1", "drone", 1);
    device("d2", "drone", 1);
    submit(aMission("m1"));
    apply(new Command.AssignMissions(List.of(new Command.Assignment("m1", "d1", 1)), 0, fleet.now));
    apply(new Command.ReportStatuses(List.of(new Command.StatusReport("m1", "d1", 1, AttemptStatus.REJECTED,
        null, null, null)), fleet.now));
    fleet.now += 60_000;
    assertThat(plan()).singleElement().satisfies(a -> {
      assertThat(a.deviceId()).isEqualTo("d2");
      assertThat(a.attempt()).isEqualTo(2);
    });
  }

  @Test
  void waitsOutTheBackoffAndReportsWhenToWakeUp() {
    device("d1", "drone", 1);
    submit(aMission("m1"));
    commit(plan());
    apply(new Command.ReportStatuses(List.of(new Command.StatusReport("m1", "d1", 1, AttemptStatus.REJECTED,
        null, null, null)), fleet.now));
    MissionScheduler.Plan p = scheduler.plan(view, fleet.now, Set.of());
    assertThat(p.assignments()).isEmpty();
    assertThat(p.nextWake()).isEqualTo(fleet.mission("m1").notBefore());
  }

  @Test
  void reportsDueTimeoutsAndDeadlines() {
    device("d1", "drone", 1);
    submit(aMission("running").timeoutSec(5));
    commit(plan());
    submit(aMission("late").deadline(fleet.now + 1_000));

    fleet.now += 5_000;
    MissionScheduler.Plan p = scheduler.plan(view, fleet.now, Set.of());
    assertThat(p.timeouts()).extracting(Command.AttemptRef::missionId).containsExactly("running");
    assertThat(p.expired()).containsExactly("late");
  }

  @Test
  void skipsMissionsInAnUnansweredProposal() {
    device("d1", "drone", 1);
    submit(aMission("m1"));
    assertThat(scheduler.plan(view, fleet.now, Set.of("m1")).assignments()).isEmpty();
  }

  @Test
  void explainsWhyEachDeviceWasFilteredOrRanked() {
    device("d1", "drone", 1, "camera");
    device("d2", "rover", 1);
    submit(aMission("m1").requiring(new Requirements(List.of("camera"), null, Map.of(), null, null)));
    Placement placement = new Placement(Feasibility.ALL, Ranking.BALANCED);
    var why = placement.explain(fleet.mission("m1"),
        view.devices.values().stream().map(view::candidate).toList());
    assertThat(why).containsEntry("d1", null).containsEntry("d2", "lacks capability camera");
  }
}
