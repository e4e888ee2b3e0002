package io.falconmind.center.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EventRingTest {

  static FeedEntry event(long seq) {
    return new FeedEntry(seq, "mission.submitted", "m" + seq, null, "{\"seq\":" + seq + "}");
  }

  @Test
  void keepsTheNewestEventsAndDropsTheOldest() {
    EventRing ring = new EventRing(3);
    for (long s = 1; s <= 5; s++) ring.append(event(s));
    assertThat(ring.oldestSeq()).isEqualTo(3);
    assertThat(ring.newestSeq()).isEqualTo(5);
    assertThat(ring.after(0)).extracting(FeedEntry::seq).containsExactly(3L, 4L, 5L);
    assertThat(ring.after(3)).extracting(FeedEntry::seq).containsExactly(4L, 5L);
    assertThat(ring.after(5)).isEmpty();
  }

  @Test
  void coversAResumptionOnlyWhenNothingAfterItWasDropped() {
    EventRing ring = new EventRing(3);
    for (long s = 1; s <= 5; s++) ring.append(event(s));
    assertThat(ring.covers(2)).isTrue();
    assertThat(ring.covers(5)).isTrue();
    assertThat(ring.covers(1)).isFalse();
    assertThat(new EventRing(3).covers(0)).isFalse();
  }

  @Test
  void startsOverAfterAGapAndIgnoresRepeats() {
    EventRing ring = new EventRing(10);
    ring.append(event(1));
    ring.append(event(2));
    ring.append(event(2));
    assertThat(ring.size()).isEqualTo(2);
    ring.append(event(7));
    assertThat(ring.oldestSeq()).isEqualTo(7);
    assertThat(ring.covers(2)).isFalse();
  }

  @Test
  void holdsNothingWithZeroCapacity() {
    EventRing ring = new EventRing(0);
    ring.append(event(1));
    assertThat(ring.size()).isZero();
    assertThat(ring.covers(0)).isFalse();
  }
}
