package io.falconmind.center.raft;

import io.falconmind.center.control.Command;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The most recent applied commands, so the leader can send a gateway what it
 * missed without a snapshot. Each entry names the index applied before it, which chains the
 * entries: log indexes of Raft's own entries (membership changes) never reach the state machine.
 */
final class AppliedLog {

  record Entry(long previous, long index, Command command) {
  }

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private final int capacity;

  AppliedLog(int capacity) {
    this.capacity = capacity;
  }

  void add(Entry e) {
    if (entries.size() == capacity) entries.pollFirst();
    entries.addLast(e);
  }

  void clear() {
    entries.clear();
  }

  /**
   * Up to {@code max} entries following {@code afterIndex}, empty when nothing follows it, or null
   * when the log no longer reaches back to it.
   */
  List<Entry> after(long afterIndex, int max) {
    Entry last = entries.peekLast();
    if (last == null || last.index() == afterIndex) return last == null ? null : List.of();
    if (entries.peekFirst().previous() > afterIndex) return null;
    List<Entry> out = new ArrayList<>();
    Iterator<Entry> it = entries.descendingIterator();
    ArrayDeque<Entry> tail = new ArrayDeque<>();
    while (it.hasNext()) {
      Entry e = it.next();
      if (e.index() <= afterIndex) break;
      tail.addFirst(e);
    }
    if (tail.isEmpty() || tail.peekFirst().previous() != afterIndex) return null;
    for (Entry e : tail) {
      if (out.size() == max) break;
      out.add(e);
    }
    return out;
  }
}
