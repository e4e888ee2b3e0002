package io.falconmind.center.mission;

import io.falconmind.center.control.Mission;

import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses a device for a mission: feasibility checks filter, the ranking orders what is left.
 * Stateless and pure; can explain every decision.
 */
final class Placement {

  private final List<Feasibility> checks;
  private final Ranking ranking;

  Placement(List<Feasibility> checks, Ranking ranking) {
    this.checks = checks;
    this.ranking = ranking;
  }

  /** The best feasible device, or null when none can take the mission. */
  Candidate choose(Mission mission, Collection<Candidate> devices) {
    Comparator<Candidate> order = ranking.rank(mission);
    Candidate best = null;
    for (Candidate c : devices) {
      if (rejection(mission, c) != null) continue;
      if (best == null || order.compare(c, best) < 0) best = c;
    }
    return best;
  }

  /** Why each device was filtered ({@code null} value = feasible), in ranking order for feasible ones. */
  Map<String, String> explain(Mission mission, Collection<Candidate> devices) {
    Map<String, String> out = new LinkedHashMap<>();
    devices.stream().sorted(ranking.rank(mission)).forEach(c -> out.put(c.id(), rejection(mission, c)));
    return out;
  }

  String rejection(Mission mission, Candidate device) {
    for (Feasibility check : checks) {
      String why = check.reject(mission, device);
      if (why != null) return why;
    }
    return null;
  }
}
