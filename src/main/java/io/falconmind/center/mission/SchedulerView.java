package io.falconmind.center.mission;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * What the scheduler knows: open missions, the queue in priority-then-age order, devices with
 * their load, and soft telemetry. Built from a control snapshot and kept current from applied
 * events, on every node, so a new leader schedules at once. Not thread-safe: one context owns it.
 */
final class SchedulerView {

  /** Last reported soft state of a device. */
  record Telemetry(Double battery, Double lat, Double lon) {
  }

  /** When an open attempt, or a queued mission's deadline, comes due. */
  record Due(long at, String missionId, int attempt) {
  }

  static final Comparator<Mission> QUEUE_ORDER = Comparator.comparingInt((Mission m) -> -m.priority())
      .thenComparingLong(Mission::createdAt).thenComparing(Mission::id);

  final Map<String, Mission> open = new HashMap<>();
  final TreeSet<Mission> queue = new TreeSet<>(QUEUE_ORDER);
  final Map<String, Device> devices = new HashMap<>();
  final Map<String, Integer> load = new HashMap<>();
  final Map<String, Telemetry> telemetry = new HashMap<>();
  final PriorityQueue<Due> attemptsDue = new PriorityQueue<>(Comparator.comparingLong(Due::at));
  final PriorityQueue<Due> deadlines = new PriorityQueue<>(Comparator.comparingLong(Due::at));
  private long index;

  long index() {
    return index;
  }

  void load(ControlSnapshot snapshot) {
    open.clear();
    queue.clear();
    devices.clear();
    load.clear();
    attemptsDue.clear();
    deadlines.clear();
    for (Device d : snapshot.devices()) devices.put(d.id(), d);
    for (Mission m : snapshot.missions()) put(m);
    index = snapshot.index();
  }

  /** Applies one applied command; ignores ones the snapshot already covers. */
  void apply(Applied applied) {
    if (applied.index() <= index) return;
    index = applied.index();
    for (Event e : applied.events()) {
      if (e.device() != null) {
        if (e.type().equals("device.removed")) {
          devices.remove(e.device().id());
          telemetry.remove(e.device().id());
        } else {
          devices.put(e.device().id(), e.device());
        }
      }
      if (e.mission() != null) put(e.mission());
    }
  }

  void telemetry(String deviceId, Telemetry t) {
    if (devices.containsKey(deviceId)) telemetry.put(deviceId, t);
  }

  private void put(Mission m) {
    Mission old = open.get(m.id());
    if (old != null) {
      if (old.state() == MissionState.QUEUED) queue.remove(old);
      if (old.state().active()) load.merge(old.deviceId(), -1, Integer::sum);
    }
    if (m.state().terminal()) {
      open.remove(m.id());
      return;
    }
    open.put(m.id(), m);
    if (m.state() == MissionState.QUEUED) {
      queue.add(m);
      if (m.deadline() != null) deadlines.add(new Due(m.deadline(), m.id(), m.attempt()));
    } else {
      load.merge(m.deviceId(), 1, Integer::sum);
      long due = m.currentAttempt().assignedAt() + m.timeoutSec() * 1000L;
      attemptsDue.add(new Due(due, m.id(), m.attempt()));
    }
  }

  int load(String deviceId) {
    return load.getOrDefault(deviceId, 0);
  }

  Candidate candidate(Device d) {
    Telemetry t = telemetry.get(d.id());
    return new Candidate(d, load(d.id()), t == null ? null : t.battery(), t == null ? null : t.lat(),
        t == null ? null : t.lon());
  }
}
