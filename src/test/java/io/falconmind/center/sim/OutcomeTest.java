package io.falconmind.center.sim;

import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class OutcomeTest {

  private static Map<Outcome, Integer> tally(long seed, double reject, double fail, int n) {
    Random random = new Random(seed);
    Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) counts.put(o, 0);
    for (int i = 0; i < n; i++) counts.merge(Outcome.choose(random, reject, fail, true), 1, Integer::sum);
    return counts;
  }

  @Test
  void alwaysSucceedsWithZeroRates() {
    assertThat(tally(1, 0, 0, 1000).get(Outcome.SUCCEED)).isEqualTo(1000);
  }

  @Test
  void sharesFollowTheRatesAndHalfTheFailuresAreRetryable() {
    int n = 100_000;
    Map<Outcome, Integer> counts = tally(7, 0.1, 0.2, n);

    assertThat(counts.get(Outcome.REJECT) / (double) n).isCloseTo(0.10, within(0.01));
    double failures = counts.get(Outcome.FAIL_RETRYABLE) + counts.get(Outcome.FAIL_PERMANENT);
    assertThat(failures / n).as("20 % of the 90 % not rejected").isCloseTo(0.18, within(0.01));
    assertThat(counts.get(Outcome.FAIL_RETRYABLE) / failures).isCloseTo(0.5, within(0.02));
  }

  @Test
  void sameSeedSameSequence() {
    assertThat(tally(99, 0.3, 0.3, 500)).isEqualTo(tally(99, 0.3, 0.3, 500));
  }

  @Test
  void emptyBatteryRejectsWhateverTheRates() {
    assertThat(Outcome.choose(new Random(3), 0, 0, false)).isEqualTo(Outcome.REJECT_BATTERY);
  }

  @Test
  void everythingIsRejectedAtRateOne() {
    assertThat(tally(5, 1.0, 0, 100).get(Outcome.REJECT)).isEqualTo(100);
  }
}
