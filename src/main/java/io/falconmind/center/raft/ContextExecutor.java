package io.falconmind.center.raft;

import io.microraft.executor.RaftNodeExecutor;
import io.vertx.core.Context;

import java.util.concurrent.TimeUnit;

/**
 * Runs a Raft node's tasks on one Vert.x context: serially, with happens-before between tasks,
 * never blocking. Timers are armed on the same context.
 */
final class ContextExecutor implements RaftNodeExecutor {

  private final Context context;

  ContextExecutor(Context context) {
    this.context = context;
  }

  @Override
  public void execute(Runnable task) {
    context.runOnContext(v -> task.run());
  }

  @Override
  public void submit(Runnable task) {
    context.runOnContext(v -> task.run());
  }

  @Override
  public void schedule(Runnable task, long delay, TimeUnit unit) {
    long ms = unit.toMillis(delay);
    if (ms <= 0) {
      context.runOnContext(v -> task.run());
    } else {
      context.runOnContext(v -> context.owner().setTimer(ms, id -> task.run()));
    }
  }
}
