package io.falconmind.center.mission;

import io.falconmind.center.control.Mission;
import io.falconmind.center.control.Requirements;

import java.util.Comparator;

/**
 * Orders feasible devices for a mission, best first. On a retry, devices that already tried the
 * mission come last whatever the strategy.
 */
enum Ranking {
  /** Least loaded (by share of capacity), then most battery. */
  BALANCED {
    @Override
    Comparator<Candidate> order(Mission m) {
      return Comparator.comparingDouble(Candidate::loadRatio).thenComparing(MOST_BATTERY);
    }
  },
  /** Most battery, then least loaded. */
  BATTERY {
    @Override
    Comparator<Candidate> order(Mission m) {
      return MOST_BATTERY.thenComparingDouble(Candidate::loadRatio);
    }
  },
  /** Closest to the mission's {@code near} point (when it names one), then balanced. */
  NEAREST {
    @Override
    Comparator<Candidate> order(Mission m) {
      Requirements.Near near = m.requirements().near();
      if (near == null) return BALANCED.order(m);
      return Comparator.comparingDouble((Candidate c) -> c.lat() == null || c.lon() == null
              ? Double.MAX_VALUE : GreatCircle.km(near.lat(), near.lon(), c.lat(), c.lon()))
          .thenComparing(BALANCED.order(m));
    }
  };

  private static final Comparator<Candidate> MOST_BATTERY =
      Comparator.comparingDouble(c -> c.battery() == null ? -1.0 : -c.battery());

  abstract Comparator<Candidate> order(Mission m);

  /** The strategy's order with devices that already tried the mission last, ties by id. */
  Comparator<Candidate> rank(Mission m) {
    Comparator<Candidate> untriedFirst = Comparator.comparing(c -> m.triedOn(c.id()));
    return untriedFirst.thenComparing(order(m)).thenComparing(Candidate::id);
  }

  static Ranking named(String name) {
    return valueOf(name.toUpperCase(java.util.Locale.ROOT));
  }
}
