package io.falconmind.center.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The most recent persisted events, contiguous by {@code seq}, so that most feed resumptions are
 * served from memory. Holds at most {@code capacity} entries; the oldest fall out. When an event
 * arrives that does not follow the newest one, the ring starts over from it (it only ever claims
 * to hold a gapless range). Not thread-safe: owned by the feed hub's event loop.
 */
public final class EventRing {

  private final FeedEntry[] slots;
  private int start;
  private int size;

  public EventRing(int capacity) {
    this.slots = new FeedEntry[Math.max(0, capacity)];
  }

  public void append(FeedEntry entry) {
    if (slots.length == 0) return;
    if (size > 0 && entry.seq() != newestSeq() + 1) {
      if (entry.seq() <= newestSeq()) return;
      start = 0;
      size = 0;
    }
    if (size == slots.length) {
      slots[start] = entry;
      start = (start + 1) % slots.length;
    } else {
      slots[(start + size) % slots.length] = entry;
      size++;
    }
  }

  public int size() {
    return size;
  }

  /** Seq of the oldest entry held, or -1 when empty. */
  public long oldestSeq() {
    return size == 0 ? -1 : slots[start].seq();
  }

  /** Seq of the newest entry held, or -1 when empty. */
  public long newestSeq() {
    return size == 0 ? -1 : slots[(start + size - 1) % slots.length].seq();
  }

  /**
   * Whether every event with {@code seq > afterSeq} that this node has seen is in the ring, so a
   * resumption from {@code afterSeq} needs nothing older.
   */
  public boolean covers(long afterSeq) {
    return size > 0 && oldestSeq() <= afterSeq + 1;
  }

  /** The entries with {@code seq > afterSeq}, oldest first. */
  public List<FeedEntry> after(long afterSeq) {
    List<FeedEntry> out = new ArrayList<>();
    if (size == 0) return out;
    long first = Math.max(afterSeq + 1, oldestSeq());
    for (long seq = first; seq <= newestSeq(); seq++) {
      out.add(slots[(int) ((start + (seq - oldestSeq())) % slots.length)]);
    }
    return out;
  }
}
