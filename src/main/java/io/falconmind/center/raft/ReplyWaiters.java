package io.falconmind.center.raft;

import io.falconmind.center.control.ControlException;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Replies held back until their log entry has gone far enough: a proposal's reply until the store
 * has persisted the entry's events ({@link #persisted}), and the answer to a proposal this node
 * forwarded until the entry is applied here too ({@link #applied}), so that its caller reads its
 * own write on this node. Not thread-safe: used on the Raft verticle's context.
 */
final class ReplyWaiters {

  /** How long an answer waits for its entry to be applied here before it is given anyway. */
  static final long APPLY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

  private record Waiter(Runnable done, Consumer<ControlException> failed, long sinceNanos) {
  }

  private final NavigableMap<Long, List<Waiter>> onPersistence = new TreeMap<>();
  private final NavigableMap<Long, List<Waiter>> onApply = new TreeMap<>();
  private long persistedIndex;

  /** Runs {@code done} once entry {@code index} is persisted: at once when it is already. */
  void whenPersisted(long index, Runnable done, Consumer<ControlException> failed, long nowNanos) {
    if (index <= persistedIndex) {
      done.run();
    } else {
      onPersistence.computeIfAbsent(index, k -> new ArrayList<>(1)).add(new Waiter(done, failed, nowNanos));
    }
  }

  /** Runs {@code done} once entry {@code index} is applied here ({@code appliedIndex} is now): at once when it is already. */
  void whenApplied(long index, long appliedIndex, Runnable done, long nowNanos) {
    if (appliedIndex >= index) {
      done.run();
    } else {
      onApply.computeIfAbsent(index, k -> new ArrayList<>(1)).add(new Waiter(done, e -> done.run(), nowNanos));
    }
  }

  /** The state here has applied every entry up to {@code appliedIndex}. */
  void applied(long appliedIndex) {
    if (onApply.isEmpty()) return;
    runAll(onApply.headMap(appliedIndex, true));
  }

  /** The store has persisted the events of every entry up to {@code index}. */
  void persisted(long index) {
    persistedIndex = Math.max(persistedIndex, index);
    runAll(onPersistence.headMap(persistedIndex, true));
  }

  long persistedIndex() {
    return persistedIndex;
  }

  /**
   * Gives the answers whose entry has not reached this node within {@link #APPLY_WAIT_NANOS} (it
   * fell behind, or the entry came in a snapshot): their result is known, only the read here would
   * be older.
   */
  void expire(long nowNanos) {
    var it = onApply.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (nowNanos - e.getValue().get(0).sinceNanos() < APPLY_WAIT_NANOS) continue;
      e.getValue().forEach(w -> w.done().run());
      it.remove();
    }
  }

  /** Fails every reply waiting for persistence with {@code e}; gives every answer waiting to be applied here. */
  void failAll(ControlException e) {
    for (List<Waiter> list : onPersistence.values()) list.forEach(w -> w.failed().accept(e));
    onPersistence.clear();
    runAll(onApply);
  }

  private static void runAll(NavigableMap<Long, List<Waiter>> due) {
    if (due.isEmpty()) return;
    List<List<Waiter>> lists = new ArrayList<>(due.values());
    due.clear();
    for (List<Waiter> list : lists) list.forEach(w -> w.done().run());
  }
}
