package io.falconmind.center.broker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Per-minute rates averaged over 1, 5 and 15 minutes, fed a running total once per interval. */
class LoadAverageTest {

  private final LoadAverage load = new LoadAverage(0);

  /** Feeds {@code perSecond} events a second for {@code seconds}, in 10-second intervals from {@code fromSecond}. */
  private long feed(long total, int perSecond, int fromSecond, int seconds) {
    for (int t = fromSecond + 10; t <= fromSecond + seconds; t += 10) {
      total += perSecond * 10L;
      load.update(total, t * 1000L);
    }
    return total;
  }

  @Test
  void theFirstIntervalMovesEachAverageByItsShareOfTheWindow() {
    load.update(1_000, 10_000);

    double rate = 6_000;
    assertThat(load.oneMinute()).isCloseTo(rate * (1 - Math.exp(-10.0 / 60)), within(1e-6));
    assertThat(load.fiveMinutes()).isCloseTo(rate * (1 - Math.exp(-10.0 / 300)), within(1e-6));
    assertThat(load.fifteenMinutes()).isCloseTo(rate * (1 - Math.exp(-10.0 / 900)), within(1e-6));
  }

  @Test
  void aSteadyRateIsReachedByTheShortestAverageFirst() {
    feed(0, 50, 0, 600);

    // ten minutes at 3,000 a minute: each average has covered 1 - e^(-10 / its window in minutes) of the way
    assertThat(load.oneMinute()).isCloseTo(3_000 * (1 - Math.exp(-10)), within(1e-6));
    assertThat(load.fiveMinutes()).isCloseTo(3_000 * (1 - Math.exp(-2)), within(1e-6));
    assertThat(load.fifteenMinutes()).isCloseTo(3_000 * (1 - Math.exp(-10.0 / 15)), within(1e-6));
  }

  @Test
  void whenTheEventsStopTheAveragesDecay() {
    long total = feed(0, 50, 0, 600);
    double fiveBefore = load.fiveMinutes();

    feed(total, 0, 600, 300);

    assertThat(load.oneMinute()).isLessThan(30);
    assertThat(load.fiveMinutes()).isCloseTo(fiveBefore * Math.exp(-1), within(1.0));
  }

  @Test
  void anIntervalOfNoTimeChangesNothing() {
    load.update(600, 10_000);
    double before = load.oneMinute();

    load.update(900, 10_000);

    assertThat(load.oneMinute()).isEqualTo(before);
  }
}
