package io.falconmind.center.sim;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class RunPlanTest {

  @Test
  void zeroDurationEndsAtOnceWithoutProgress() {
    RunPlan plan = RunPlan.of(0, 3, new Random(1));

    assertThat(plan.progress()).isEmpty();
    assertThat(plan.endAfterMs()).isZero();
  }

  @Test
  void reportsRunningThenEvenStepsBeforeTheEnd() {
    RunPlan plan = RunPlan.of(2000, 3, new Random(1));

    assertThat(plan.progress()).hasSize(4);
    assertThat(plan.progress().get(0)).isEqualTo(new RunPlan.Step(0, 0));
    assertThat(plan.progress()).extracting(RunPlan.Step::percent).containsExactly(0, 25, 50, 75);
    long end = plan.endAfterMs();
    assertThat(end).isBetween(1000L, 3000L);
    assertThat(plan.progress()).extracting(RunPlan.Step::atMs).isSorted().allMatch(t -> t < end);
  }

  @Test
  void meanRunTimeHolds() {
    Random random = new Random(11);
    long sum = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) sum += RunPlan.of(1000, 0, random).endAfterMs();

    assertThat(sum / (double) n).isBetween(980.0, 1020.0);
  }
}
