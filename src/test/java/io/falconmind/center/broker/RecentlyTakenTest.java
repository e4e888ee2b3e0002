package io.falconmind.center.broker;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RecentlyTakenTest {

  private final RecentlyTaken taken = new RecentlyTaken();

  @Test
  void whatWasTakenWithinASpanIsKnownByOrigin() {
    taken.add("a", 1, 1_000);
    taken.add("b", 7, 1_001);
    taken.add("a", 2, 1_002);

    Map<String, long[]> recent = taken.recent(1_003);

    assertThat(recent).containsOnlyKeys("a", "b");
    assertThat(recent.get("a")).containsExactly(1, 2);
    assertThat(recent.get("b")).containsExactly(7);
  }

  @Test
  void theGenerationBeforeStaysKnownForAnotherSpan() {
    taken.add("a", 1, 1_000);
    taken.add("a", 2, 1_000 + RecentlyTaken.SPAN_MS);

    assertThat(taken.recent(1_000 + RecentlyTaken.SPAN_MS + 1).get("a")).containsExactly(1, 2);
  }

  @Test
  void whatIsOlderThanTwoSpansIsForgotten() {
    taken.add("a", 1, 1_000);
    taken.add("a", 2, 1_000 + RecentlyTaken.SPAN_MS);
    long later = 1_000 + 2 * RecentlyTaken.SPAN_MS + RecentlyTaken.SPAN_MS / 2;
    taken.add("a", 3, later);

    assertThat(taken.recent(later).get("a")).containsExactly(2, 3);
    assertThat(taken.recent(1_000 + 5 * RecentlyTaken.SPAN_MS)).isEmpty();
  }

  @Test
  void aGenerationThatGrowsTooLargeMakesRoomEarly() {
    for (long seq = 0; seq < 3L * RecentlyTaken.MAX_PER_GENERATION; seq++) taken.add("a", seq, 1_000);

    long[] kept = taken.recent(1_000).get("a");
    assertThat(kept).hasSize(2 * RecentlyTaken.MAX_PER_GENERATION);
    assertThat(kept[kept.length - 1]).isEqualTo(3L * RecentlyTaken.MAX_PER_GENERATION - 1);
  }

  @Test
  void numbersBroughtAlongAreKeptAsTakenNow() {
    taken.addAll(Map.of("a", new long[] {4, 5}), 50_000);

    assertThat(taken.recent(50_001).get("a")).containsExactly(4, 5);
  }
}
