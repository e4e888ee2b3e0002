package io.falconmind.center.raft;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlStateMachine;
import io.microraft.statemachine.StateMachine;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Connects MicroRaft to the control state machine. Runs on the Raft node's executor. Every applied
 * command is handed to {@code onApplied} in log order (the verticle publishes it).
 */
final class ControlStateMachineAdapter implements StateMachine {

  private final ControlStateMachine machine;
  private final Consumer<Applied> onApplied;
  private final LongSupplier wallClock;
  private final LongSupplier term;
  private final String self;

  /**
   * @param term the current term of the local member (read when it becomes leader)
   * @param self the local member's endpoint id
   */
  ControlStateMachineAdapter(ControlStateMachine machine, Consumer<Applied> onApplied, LongSupplier wallClock,
                             LongSupplier term, String self) {
    this.machine = machine;
    this.onApplied = onApplied;
    this.wallClock = wallClock;
    this.term = term;
    this.self = self;
  }

  @Override
  public Object runOperation(long commitIndex, Object operation) {
    if (!(operation instanceof Command command)) {
      throw new IllegalArgumentException("not a command: " + operation);
    }
    Applied applied = machine.apply(commitIndex, command);
    onApplied.accept(applied);
    return applied;
  }

  /** The snapshot is one chunk: the immutable records of the whole state. */
  @Override
  public void takeSnapshot(long commitIndex, Consumer<Object> chunkConsumer) {
    chunkConsumer.accept(machine.state().snapshot());
  }

  @Override
  public void installSnapshot(long commitIndex, List<Object> chunks) {
    if (chunks.isEmpty()) return;
    machine.state().restore((ControlSnapshot) chunks.get(0));
  }

  /** Proposed by the new leader as the first entry of its term; fences earlier decisions. */
  @Override
  public Object getNewTermOperation() {
    return new Command.NewTerm(term.getAsLong(), self, wallClock.getAsLong());
  }
}
