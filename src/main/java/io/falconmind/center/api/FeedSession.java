package io.falconmind.center.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;

/**
 * One feed client. Sends every persisted event matching its {@link FeedFilter} in seq order, once.
 *
 * <p>Resuming with {@code since}: the session attaches to the hub first (so nothing persisted from
 * then on can be missed) and buffers live events while it catches up — from the hub's ring when
 * the ring holds everything after {@code since}, else page by page from the store until a short
 * page, then from the buffer. Anything seen twice is dropped by seq. When {@code since} is older
 * than the oldest stored event the session closes with {@code since-pruned}.
 *
 * <p>Back-pressure: when the transport's buffer is full, events wait in a queue; when more than
 * {@code maxQueued} wait, the session closes with {@code slow-consumer} and names the seq to resume
 * from. Catching up is paced by the transport instead: what was read from the store or the ring is
 * sent as the transport takes it, and the next page is read after that, so a client that reads as
 * fast as it can is never closed for the server's own reading. The live buffer of a catching-up
 * session is bounded too: when it overflows it is dropped and its events are read from the store
 * instead. Soft signals are dropped rather than queued.
 *
 * <p>Not thread-safe: runs on the event loop that owns the connection and the hub.
 */
final class FeedSession {

  /** Where events older than the ring come from (the store). */
  interface History {
    /** Persisted events with seq > afterSeq, ascending, at most limit, as {@code Event#toJson()}. */
    Future<JsonArray> eventsAfter(long afterSeq, int limit);

    /** The lowest seq still stored, or 0 when none is. */
    Future<Long> oldestEventSeq();
  }

  static final int CLOSE_POLICY = 1008;
  static final int CLOSE_SERVER_ERROR = 1011;
  static final int CLOSE_TRY_AGAIN_LATER = 1013;
  /** Short pages while catching up that still end below the live buffer: the store is behind us. */
  private static final int MAX_STALE_PAGES = 50;
  private static final Logger LOG = LoggerFactory.getLogger(FeedSession.class);

  private enum Phase { NEW, CATCHING_UP, LIVE, CLOSED }

  private final FeedSink sink;
  private final FeedFilter filter;
  private final FeedHub hub;
  private final History history;
  private final int maxQueued;
  private final int pageSize;

  private final ArrayDeque<FeedEntry> pending = new ArrayDeque<>();
  private final ArrayDeque<FeedEntry> backlog = new ArrayDeque<>();
  /**
   * Persisted events read to catch up (a page from the store, or the ring), sent as the transport
   * takes them: the server's own reading, so not held against the client's {@code maxQueued}.
   */
  private final ArrayDeque<FeedEntry> catchUp = new ArrayDeque<>();
  /** What follows once {@link #catchUp} is sent: the next page, the live buffer, or the ring again. */
  private Runnable afterCatchUp;
  private Phase phase = Phase.NEW;
  /** Highest seq handled: sent, queued or filtered out. */
  private long lastSeq = -1;
  private boolean pendingDropped;
  private int stalePages;
  /**
   * While catching up, the fewest events the client was behind the live stream: one that falls
   * {@code maxQueued} further behind than that while the transport is full reads slower than
   * events come, and is closed.
   */
  private long leastBehind;

  FeedSession(FeedSink sink, FeedFilter filter, FeedHub hub, History history, int maxQueued, int pageSize) {
    this.sink = sink;
    this.filter = filter;
    this.hub = hub;
    this.history = history;
    this.maxQueued = Math.max(1, maxQueued);
    this.pageSize = Math.max(1, pageSize);
  }

  FeedFilter filter() {
    return filter;
  }

  boolean live() {
    return phase == Phase.LIVE;
  }

  boolean closed() {
    return phase == Phase.CLOSED;
  }

  /** @param since resume after this seq, or null for live events only */
  void start(Long since) {
    sink.closeHandler(this::clientGone);
    sink.drainHandler(this::drained);
    hub.attach(this);
    if (since == null) {
      lastSeq = hub.ring().newestSeq();
      phase = Phase.LIVE;
      return;
    }
    catchingUp();
    lastSeq = since;
    if (hub.ring().covers(since)) {
      finishFromRing();
      return;
    }
    history.oldestEventSeq().onComplete(ar -> {
      if (phase != Phase.CATCHING_UP) return;
      if (ar.failed()) {
        storeFailed(ar.cause());
      } else if (ar.result() > 0 && since + 1 < ar.result() && !hub.ring().covers(since)) {
        close(CLOSE_POLICY, "since-pruned", "events after seq " + since + " are no longer kept; the oldest is "
            + ar.result() + ". Reload the state over REST and follow the feed from a newer seq", ar.result() - 1);
      } else {
        fetchNext();
      }
    });
  }

  /** A live event from the hub (persisted, in order) or a soft signal. */
  void offer(FeedEntry entry) {
    if (phase == Phase.CLOSED) return;
    if (entry.soft()) {
      if (phase == Phase.LIVE && backlog.isEmpty() && !sink.writeQueueFull() && filter.matches(entry)) sink.send(entry);
      return;
    }
    if (phase == Phase.LIVE && lastSeq >= 0 && entry.seq() > lastSeq + 1) {
      // This node's stream skipped events (they exist: seq never skips); read them from the store.
      catchingUp();
      pending.add(entry);
      fetchNext();
      return;
    }
    if (phase == Phase.CATCHING_UP) {
      long behind = entry.seq() - lastSeq;
      leastBehind = Math.min(leastBehind, behind);
      // counted only while the client is what holds the catch-up back, not the store's reading
      if (behind - leastBehind > maxQueued && !catchUp.isEmpty() && sink.writeQueueFull()) {
        close(CLOSE_TRY_AGAIN_LATER, "slow-consumer", "fell more than " + maxQueued
            + " events further behind while catching up; reconnect with since=" + resumeSince(), resumeSince());
        return;
      }
      if (pending.size() >= maxQueued) {
        // Everything offered here is already persisted: drop the buffer and read it from the store.
        pending.clear();
        pendingDropped = true;
      }
      pending.add(entry);
      return;
    }
    handle(entry);
  }

  private void catchingUp() {
    phase = Phase.CATCHING_UP;
    leastBehind = Long.MAX_VALUE;
  }

  private void fetchNext() {
    if (phase != Phase.CATCHING_UP) return;
    if (hub.ring().covers(lastSeq)) {
      finishFromRing();
      return;
    }
    history.eventsAfter(lastSeq, pageSize).onComplete(ar -> {
      if (phase != Phase.CATCHING_UP) return;
      if (ar.failed()) {
        storeFailed(ar.cause());
        return;
      }
      JsonArray page = ar.result();
      for (int i = 0; i < page.size(); i++) catchUp.add(FeedEntry.fromJson(page.getJsonObject(i)));
      afterCatchUp = page.size() < pageSize ? this::finishFromPending : this::fetchNext;
      continueCatchUp();
    });
  }

  /**
   * Everything after {@code lastSeq} is in the ring, the live events waiting in {@link #pending}
   * too: sends it as the transport takes it, then looks again for what came meanwhile; live once
   * nothing did.
   */
  private void finishFromRing() {
    List<FeedEntry> rest = hub.ring().after(lastSeq);
    pending.clear();
    pendingDropped = false;
    if (rest.isEmpty()) {
      phase = Phase.LIVE;
      return;
    }
    catchUp.addAll(rest);
    afterCatchUp = this::fetchNext;
    continueCatchUp();
  }

  /** Sends {@link #catchUp} while the transport takes it (the drain handler comes back), then what follows. */
  private void continueCatchUp() {
    while (!catchUp.isEmpty() && phase == Phase.CATCHING_UP) {
      if (!backlog.isEmpty() || sink.writeQueueFull()) return;
      handle(catchUp.poll());
    }
    Runnable next = afterCatchUp;
    afterCatchUp = null;
    if (next != null && phase == Phase.CATCHING_UP) next.run();
  }

  private void finishFromPending() {
    if (pendingDropped) {
      pendingDropped = false;
      fetchNext();
      return;
    }
    FeedEntry first = pending.peekFirst();
    if (first != null && first.seq() > lastSeq + 1) {
      // Live events are ahead of what the store returned: it has not caught up yet. Ask again.
      if (++stalePages > MAX_STALE_PAGES) {
        close(CLOSE_SERVER_ERROR, "feed-gap", "events " + (lastSeq + 1) + ".." + (first.seq() - 1)
            + " could not be read from the store", lastSeq);
      } else {
        fetchNext();
      }
      return;
    }
    while (!pending.isEmpty() && phase == Phase.CATCHING_UP) handle(pending.poll());
    if (phase == Phase.CATCHING_UP) phase = Phase.LIVE;
  }

  private void handle(FeedEntry entry) {
    if (entry.seq() <= lastSeq) return;
    lastSeq = entry.seq();
    if (!filter.matches(entry)) return;
    if (!backlog.isEmpty() || sink.writeQueueFull()) {
      backlog.add(entry);
      checkBound();
    } else {
      sink.send(entry);
    }
  }

  private void drained() {
    while (!backlog.isEmpty() && !sink.writeQueueFull() && phase != Phase.CLOSED) sink.send(backlog.poll());
    if (phase == Phase.CATCHING_UP) continueCatchUp();
  }

  private void checkBound() {
    if (backlog.size() > maxQueued) {
      close(CLOSE_TRY_AGAIN_LATER, "slow-consumer", "more than " + maxQueued
          + " events waited for this client; reconnect with since=" + resumeSince(), resumeSince());
    }
  }

  /** The seq a client resumes from to miss nothing: everything up to it reached the transport. */
  long resumeSince() {
    return backlog.isEmpty() ? lastSeq : backlog.peekFirst().seq() - 1;
  }

  private void storeFailed(Throwable t) {
    LOG.warn("Feed catch-up from the store failed: {}", t.getMessage());
    close(CLOSE_TRY_AGAIN_LATER, "store-unavailable", "older events cannot be read right now ("
        + t.getMessage() + "); reconnect with since=" + resumeSince(), resumeSince());
  }

  /** The node is shutting down. */
  void shutdown(String detail) {
    close(1001, "going-away", detail, resumeSince());
  }

  private void close(int wsCode, String code, String detail, long resumeSince) {
    if (phase == Phase.CLOSED) return;
    long resume = Math.max(resumeSince, -1);
    phase = Phase.CLOSED;
    hub.detach(this);
    backlog.clear();
    pending.clear();
    catchUp.clear();
    JsonObject error = new JsonObject().put("type", "feed.error").put("code", code).put("detail", detail);
    if (resume >= 0) error.put("resumeSince", resume);
    sink.fail(error, wsCode);
  }

  private void clientGone() {
    phase = Phase.CLOSED;
    hub.detach(this);
    backlog.clear();
    pending.clear();
    catchUp.clear();
  }
}
