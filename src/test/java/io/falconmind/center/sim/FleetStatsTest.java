package io.falconmind.center.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FleetStatsTest {

  @Test
  void noticesOfOneKindAreThrottledOthersNot() {
    FleetStats stats = new FleetStats();

    assertThat(stats.mayNotice("lost", 1_000, 5_000)).isTrue();
    assertThat(stats.mayNotice("lost", 3_000, 5_000)).isFalse();
    assertThat(stats.mayNotice("connect", 3_000, 5_000)).isTrue();
    assertThat(stats.mayNotice("lost", 6_000, 5_000)).isTrue();
  }

  @Test
  void statusLineShowsTheOperatorsCounters() {
    FleetStats stats = new FleetStats();
    stats.registered.set(3);
    stats.connected.set(2);
    stats.running.set(1);
    stats.succeeded.add(7);
    stats.failed.add(1);

    assertThat(stats.line()).startsWith("connected 2/3, running 1, assigned 0, done 7, failed 1, rejected 0, canceled 0")
        .doesNotContain("reconnects");
  }
}
