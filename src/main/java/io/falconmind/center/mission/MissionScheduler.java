package io.falconmind.center.mission;

import io.falconmind.center.control.Command.Assignment;
import io.falconmind.center.control.Command.AttemptRef;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scheduling decisions of one pass, from the view at a given time: which queued missions go to
 * which devices (priority, then age), which open attempts timed out, which queued missions passed
 * their deadline. Pure: the caller supplies the time and proposes the result. Missions already in an
 * unanswered proposal are skipped.
 */
final class MissionScheduler {

  /** What one pass decided; {@code nextWake} is the earliest backoff end seen (or Long.MAX_VALUE). */
  record Plan(List<Assignment> assignments, List<AttemptRef> timeouts, List<String> expired, long nextWake) {
    boolean isEmpty() {
      return assignments.isEmpty() && timeouts.isEmpty() && expired.isEmpty();
    }
  }

  /** How soon a due check deferred by an unanswered proposal is looked at again. */
  static final long RECHECK_MS = 1000;

  private final Placement placement;
  private final int maxAssignments;
  private final int maxScan;

  MissionScheduler(Placement placement, int maxAssignments, int maxScan) {
    this.placement = placement;
    this.maxAssignments = maxAssignments;
    this.maxScan = maxScan;
  }

  Plan plan(SchedulerView view, long now, Set<String> pending) {
    List<AttemptRef> timeouts = dueAttempts(view, now, pending);
    List<String> expired = pastDeadline(view, now, pending);
    List<Assignment> assignments = new ArrayList<>();
    long nextWake = Long.MAX_VALUE;
    if (view.queue.isEmpty()) return new Plan(assignments, timeouts, expired, nextWake);
    Map<String, Candidate> free = freeDevices(view);
    int scanned = 0;
    for (Mission m : view.queue) {
      if (free.isEmpty() || assignments.size() >= maxAssignments || ++scanned > maxScan) break;
      if (pending.contains(m.id()) || m.attempt() >= m.maxAttempts()) continue;
      if (m.deadline() != null && now >= m.deadline()) continue;
      if (m.notBefore() > now) {
        nextWake = Math.min(nextWake, m.notBefore());
        continue;
      }
      Candidate chosen = placement.choose(m, free.values());
      if (chosen == null) continue;
      assignments.add(new Assignment(m.id(), chosen.id(), m.attempt() + 1));
      Candidate after = chosen.plusOne();
      if (after.freeCapacity() > 0) free.put(after.id(), after);
      else free.remove(after.id());
    }
    return new Plan(assignments, timeouts, expired, nextWake);
  }

  private Map<String, Candidate> freeDevices(SchedulerView view) {
    Map<String, Candidate> free = new HashMap<>();
    for (Device d : view.devices.values()) {
      if (!d.online() || d.draining()) continue;
      Candidate c = view.candidate(d);
      if (c.freeCapacity() > 0) free.put(d.id(), c);
    }
    return free;
  }

  private static List<AttemptRef> dueAttempts(SchedulerView view, long now, Set<String> pending) {
    List<AttemptRef> out = new ArrayList<>();
    List<SchedulerView.Due> later = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    while (!view.attemptsDue.isEmpty() && view.attemptsDue.peek().at() <= now) {
      SchedulerView.Due due = view.attemptsDue.poll();
      Mission m = view.open.get(due.missionId());
      if (m == null || !m.state().active() || m.attempt() != due.attempt() || !seen.add(m.id())) continue;
      if (pending.contains(m.id())) {
        later.add(new SchedulerView.Due(now + RECHECK_MS, due.missionId(), due.attempt()));
        continue;
      }
      out.add(new AttemptRef(m.id(), m.attempt()));
    }
    view.attemptsDue.addAll(later);
    return out;
  }

  private static List<String> pastDeadline(SchedulerView view, long now, Set<String> pending) {
    List<String> out = new ArrayList<>();
    List<SchedulerView.Due> later = new ArrayList<>();
    while (!view.deadlines.isEmpty() && view.deadlines.peek().at() <= now) {
      SchedulerView.Due due = view.deadlines.poll();
      Mission m = view.open.get(due.missionId());
      if (m == null || m.state() != MissionState.QUEUED || out.contains(m.id())) continue;
      if (pending.contains(m.id())) {
        later.add(new SchedulerView.Due(now + RECHECK_MS, due.missionId(), due.attempt()));
        continue;
      }
      out.add(m.id());
    }
    view.deadlines.addAll(later);
    return out;
  }
}
