package io.falconmind.center.control;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The replicated control state: devices, missions in memory, idempotency keys and the event
 * sequence. Changed only by {@link ControlStateMachine}; read on the thread that applies commands.
 */
public final class ControlState {

  /** A used idempotency key: which mission it created, from which request, when. */
  public record KeyUse(String missionId, String requestHash, long at) {
  }

  final Map<String, Device> devices = new HashMap<>();
  final Map<String, Mission> missions = new HashMap<>();
  final Map<String, KeyUse> keys = new HashMap<>();
  long seq;
  long index;
  long term;

  public Device device(String id) {
    return devices.get(id);
  }

  public Mission mission(String id) {
    return missions.get(id);
  }

  public Collection<Device> devices() {
    return devices.values();
  }

  public Collection<Mission> missions() {
    return missions.values();
  }

  public KeyUse keyUse(String idempotencyKey) {
    return keys.get(idempotencyKey);
  }

  /** Sequence number of the last event produced. */
  public long seq() {
    return seq;
  }

  /** Log index of the last command applied. */
  public long index() {
    return index;
  }

  /** The leader term whose scheduler decisions are accepted (set by each {@code NewTerm}). */
  public long term() {
    return term;
  }

  /** Missions the device holds (ASSIGNED or RUNNING), in the order they were assigned. */
  public List<Mission> openAssignments(String deviceId) {
    Device d = devices.get(deviceId);
    List<Mission> out = new ArrayList<>();
    if (d == null) return out;
    for (String id : d.activeMissions()) {
      Mission m = missions.get(id);
      if (m != null && m.state().active() && deviceId.equals(m.deviceId())) out.add(m);
    }
    return out;
  }

  /** A consistent copy for a snapshot; the records are immutable, so the copy is shallow. */
  public ControlSnapshot snapshot() {
    return new ControlSnapshot(index, seq, List.copyOf(devices.values()), List.copyOf(missions.values()),
        Map.copyOf(keys), term);
  }

  /**
   * Replaces the whole state with a snapshot (a Raft snapshot, or the state loaded from the store
   * when a group starts from nothing). Device load is recomputed from the missions.
   */
  public void restore(ControlSnapshot snapshot) {
    devices.clear();
    missions.clear();
    keys.clear();
    index = snapshot.index();
    seq = snapshot.seq();
    term = snapshot.term();
    Map<String, List<String>> held = new HashMap<>();
    for (Mission m : snapshot.missions()) {
      missions.put(m.id(), m);
      if (m.state().active() && m.deviceId() != null) {
        held.computeIfAbsent(m.deviceId(), k -> new ArrayList<>()).add(m.id());
      }
    }
    for (Device d : snapshot.devices()) {
      List<String> active = new ArrayList<>(held.getOrDefault(d.id(), List.of()));
      // in the order they were assigned, as the device's own list keeps them
      active.sort(java.util.Comparator.<String>comparingInt(id -> {
        int i = d.activeMissions().indexOf(id);
        return i < 0 ? Integer.MAX_VALUE : i;
      }).thenComparingLong(id -> missions.get(id).currentAttempt().assignedAt()).thenComparing(id -> id));
      devices.put(d.id(), d.withActive(active));
    }
    keys.putAll(snapshot.keys());
  }
}
