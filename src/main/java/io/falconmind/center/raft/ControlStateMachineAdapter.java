package io.falconmind.center.raft;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.ControlStateMachine;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.microraft.statemachine.StateMachine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Connects MicroRaft to the control state machine. Runs on the Raft node's executor.
 *
 * <p>The state may already be ahead of the log when a node that followed the leader's stream as a
 * gateway becomes a Raft member: entries at or below the state's index are skipped, and a snapshot
 * older than the state is ignored, so nothing is applied twice.
 */
final class ControlStateMachineAdapter implements StateMachine {

  /** Missions per snapshot chunk, so a large state travels in pieces. */
  static final int MISSIONS_PER_CHUNK = 2_000;

  /** Called for every command applied, in log order, with the index applied before it. */
  interface Listener {
    void applied(long previousIndex, Command command, Applied applied);

    /** The state was replaced by a snapshot newer than it. */
    default void restored(ControlSnapshot snapshot) {
    }
  }

  private final ControlStateMachine machine;
  private final Listener listener;
  private final LongSupplier wallClock;
  private final LongSupplier term;
  private final String self;

  /**
   * @param term the current term of the local member (read when it becomes leader)
   * @param self the local member's endpoint id
   */
  ControlStateMachineAdapter(ControlStateMachine machine, Listener listener, LongSupplier wallClock,
                             LongSupplier term, String self) {
    this.machine = machine;
    this.listener = listener;
    this.wallClock = wallClock;
    this.term = term;
    this.self = self;
  }

  @Override
  public Object runOperation(long commitIndex, Object operation) {
    if (!(operation instanceof Command command)) {
      throw new IllegalArgumentException("not a command: " + operation);
    }
    long previous = machine.state().index();
    if (commitIndex <= previous) return null;
    Applied applied = machine.apply(commitIndex, command);
    listener.applied(previous, command, applied);
    return applied;
  }

  /** The first chunk holds devices, keys and indexes; the rest hold the missions in slices. */
  @Override
  public void takeSnapshot(long commitIndex, Consumer<Object> chunkConsumer) {
    ControlSnapshot s = machine.state().snapshot();
    chunkConsumer.accept(new ControlSnapshot(s.index(), s.seq(), s.devices(), List.of(), s.keys(), s.term()));
    List<Mission> missions = s.missions();
    for (int i = 0; i < missions.size(); i += MISSIONS_PER_CHUNK) {
      List<Mission> slice = List.copyOf(missions.subList(i, Math.min(missions.size(), i + MISSIONS_PER_CHUNK)));
      chunkConsumer.accept(new ControlSnapshot(s.index(), s.seq(), List.of(), slice, Map.of(), s.term()));
    }
  }

  @Override
  public void installSnapshot(long commitIndex, List<Object> chunks) {
    ControlSnapshot whole = merge(chunks);
    if (whole == null || whole.index() <= machine.state().index()) return;
    machine.state().restore(whole);
    listener.restored(whole);
  }

  static ControlSnapshot merge(List<Object> chunks) {
    if (chunks.isEmpty()) return null;
    ControlSnapshot first = (ControlSnapshot) chunks.get(0);
    List<Device> devices = new ArrayList<>();
    List<Mission> missions = new ArrayList<>();
    Map<String, ControlState.KeyUse> keys = new HashMap<>();
    for (Object o : chunks) {
      ControlSnapshot c = (ControlSnapshot) o;
      devices.addAll(c.devices());
      missions.addAll(c.missions());
      keys.putAll(c.keys());
    }
    return new ControlSnapshot(first.index(), first.seq(), devices, missions, keys, first.term());
  }

  /** Proposed by the new leader as the first entry of its term; fences earlier decisions. */
  @Override
  public Object getNewTermOperation() {
    return new Command.NewTerm(term.getAsLong(), self, wallClock.getAsLong());
  }
}
