package io.falconmind.center.raft;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlPolicy;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.ControlStateMachine;
import io.falconmind.center.control.Event;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A control state machine fed commands at consecutive log indexes, as one member of the group would
 * apply them; says what each command did in a form two replicas can be compared by.
 */
final class Replica {

  final ControlState state = new ControlState();
  /** The type of every event produced, in order. */
  final List<String> eventTypes = new ArrayList<>();
  private final ControlStateMachine machine = new ControlStateMachine(state, ControlPolicy.DEFAULT);
  private long index;

  static Replica fresh() {
    return new Replica();
  }

  /** A replica that starts from a snapshot, as a member that installed it would. */
  static Replica restoredFrom(ControlSnapshot snapshot) {
    Replica replica = new Replica();
    replica.state.restore(snapshot);
    replica.index = snapshot.index();
    return replica;
  }

  Replica applyAll(List<Command> commands) {
    commands.forEach(this::apply);
    return this;
  }

  /**
   * The index, reply and every event with the full records it carries, compared by value (so the
   * iteration order of a {@code Map.copyOf}, which differs from one JVM to the next, does not
   * matter); or the exception it threw.
   */
  List<Object> apply(Command command) {
    try {
      Applied applied = machine.apply(++index, command);
      applied.events().forEach(e -> eventTypes.add(e.type()));
      return describe(applied);
    } catch (RuntimeException e) {
      return List.of("threw " + e.getClass().getName());
    }
  }

  /** The state as maps by id, which unlike a snapshot's lists do not depend on hash-map order. */
  Map<String, Object> contents() {
    Map<String, Object> out = new TreeMap<>();
    state.devices().forEach(d -> out.put("device " + d.id(), d));
    state.missions().forEach(m -> out.put("mission " + m.id(), m));
    ControlSnapshot s = state.snapshot();
    s.keys().forEach((k, use) -> out.put("key " + k, use));
    out.put("index/seq/term", List.of(s.index(), s.seq(), s.term()));
    return out;
  }

  static List<Object> describe(Applied applied) {
    List<Object> out = new ArrayList<>();
    out.add(applied.index());
    out.add(applied.reply());
    for (Event e : applied.events()) {
      out.add(Arrays.asList(e.seq(), e.type(), e.at(), e.mission(), e.device(), e.detail(), e.revoke()));
    }
    return out;
  }
}
