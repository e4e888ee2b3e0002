package io.falconmind.center.store;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.PersistedEvents;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Group commit of applied log entries. While one write is in flight, entries accumulate; when it
 * ends, everything queued (whole entries, up to {@code batchMaxEvents} events, at least one entry)
 * goes out as the next single write. When a full batch is waiting behind the write in flight, it
 * is already encoded meanwhile, so encoding overlaps the database's work under load. After each
 * successful write one {@link PersistedEvents} (highest index, highest persisted seq, the events
 * written) is handed to the publisher, strictly in log order. An entry without events still
 * advances the persisted index: with nothing queued or in flight it is reported at once, otherwise
 * it rides with the batch it queued behind.
 *
 * <p>A failed write is logged and retried, the same batch, with exponential backoff, for as long
 * as it takes: nothing is dropped, reordered, or reported persisted before it is. Meanwhile new
 * entries keep queueing (in memory; acknowledgements wait for them, which is the back-pressure).
 *
 * <p>Not thread-safe: call it on one context (the store verticle's), where the sink's futures
 * and the retry timers also complete.
 *
 * @param <P> a batch encoded for writing
 */
final class GroupCommit<P> {

  /** Encodes and writes batches of events (ascending seq, at least one). */
  interface Sink<P> {
    Future<P> prepare(List<Event> events);

    /** Writes a prepared batch atomically; idempotent, so it may be retried. */
    Future<Void> write(P prepared);
  }

  private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

  private final Vertx vertx;
  private final Sink<P> sink;
  private final Consumer<PersistedEvents> publisher;
  private final int batchMaxEvents;
  private final long retryMinMs;
  private final long retryMaxMs;

  private final ArrayDeque<Applied> queue = new ArrayDeque<>();
  private int queueEvents;
  private int pendingEvents;
  private Batch current;
  private Batch next;
  private long persistedSeq;
  private long retryDelayMs;
  private long retryTimer = -1;
  private int failures;
  private boolean closed;
  private Promise<Void> idle;

  /** Entries cut from the queue to be written together. */
  private final class Batch {
    final List<Applied> entries;
    final List<Event> events;
    Future<P> prepared;

    Batch(List<Applied> entries, List<Event> events) {
      this.entries = entries;
      this.events = events;
      this.prepared = events.isEmpty() ? Future.succeededFuture() : sink.prepare(events);
    }

    long index() {
      long index = 0;
      for (Applied a : entries) index = Math.max(index, a.index());
      return index;
    }
  }

  /**
   * @param persistedSeq the highest seq already durable (reported with entries that have no events
   *                     until a write moves it on)
   */
  GroupCommit(Vertx vertx, Sink<P> sink, Consumer<PersistedEvents> publisher, int batchMaxEvents,
              long persistedSeq, long retryMinMs, long retryMaxMs) {
    this.vertx = vertx;
    this.sink = sink;
    this.publisher = publisher;
    this.batchMaxEvents = batchMaxEvents;
    this.persistedSeq = persistedSeq;
    this.retryMinMs = retryMinMs;
    this.retryMaxMs = retryMaxMs;
    this.retryDelayMs = retryMinMs;
  }

  /** Takes the next applied entry; entries must come in log order. Ignored once closed. */
  void offer(Applied applied) {
    if (closed) {
      LOG.warn("store is stopping; entry {} is left to be persisted by the next writer", applied.index());
      return;
    }
    if (applied.events().isEmpty() && current == null && next == null && queue.isEmpty()) {
      publisher.accept(new PersistedEvents(applied.index(), persistedSeq, List.of()));
      return;
    }
    queue.add(applied);
    queueEvents += applied.events().size();
    pendingEvents += applied.events().size();
    if (current == null) {
      startNext();
    } else {
      prepareAheadWhenFull();
    }
  }

  /** Events queued or being written, not yet reported persisted. */
  int pendingEvents() {
    return pendingEvents;
  }

  /**
   * Stops taking entries and completes once everything queued is written, or fails after
   * {@code timeoutMs} (the rest is then left for the next writer: it was never reported persisted).
   */
  Future<Void> close(long timeoutMs) {
    closed = true;
    if (current == null) return Future.succeededFuture();
    if (idle == null) idle = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
      idle.tryFail(new StoreException(503, "gave up persisting " + pendingEvents + " pending events on stop"));
    });
    return idle.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  private void prepareAheadWhenFull() {
    if (next == null && queueEvents >= batchMaxEvents) next = cut();
  }

  private Batch cut() {
    List<Applied> entries = new ArrayList<>();
    int events = 0;
    while (!queue.isEmpty()) {
      Applied a = queue.peek();
      if (!entries.isEmpty() && events + a.events().size() > batchMaxEvents) break;
      queue.poll();
      entries.add(a);
      events += a.events().size();
    }
    queueEvents -= events;
    List<Event> all = new ArrayList<>(events);
    for (Applied a : entries) all.addAll(a.events());
    return new Batch(entries, all);
  }

  private void startNext() {
    current = next != null ? next : cut();
    next = null;
    attempt(current);
    prepareAheadWhenFull();
  }

  private void attempt(Batch batch) {
    retryTimer = -1;
    batch.prepared
        .compose(prepared -> batch.events.isEmpty() ? Future.<Void>succeededFuture() : sink.write(prepared))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            committed(batch);
          } else {
            retryLater(batch, ar.cause());
          }
        });
  }

  private void retryLater(Batch batch, Throwable cause) {
    failures++;
    if (failures == 1 || failures % 20 == 0) {
      LOG.warn("persisting {} events (seq {}..{}) failed {} time(s), retrying in {} ms: {}", batch.events.size(),
          batch.events.get(0).seq(), batch.events.get(batch.events.size() - 1).seq(), failures, retryDelayMs,
          cause.toString());
    }
    if (idle != null && idle.future().isComplete()) return;
    if (batch.prepared.failed()) batch.prepared = sink.prepare(batch.events);
    retryTimer = vertx.setTimer(retryDelayMs, id -> attempt(batch));
    retryDelayMs = Math.min(retryDelayMs * 2, retryMaxMs);
  }

  private void committed(Batch batch) {
    if (failures > 0) LOG.info("persisting works again after {} failed attempt(s)", failures);
    failures = 0;
    retryDelayMs = retryMinMs;
    if (!batch.events.isEmpty()) persistedSeq = Math.max(persistedSeq, batch.events.get(batch.events.size() - 1).seq());
    pendingEvents -= batch.events.size();
    current = null;
    publisher.accept(new PersistedEvents(batch.index(), persistedSeq, List.copyOf(batch.events)));
    if (next != null || !queue.isEmpty()) {
      startNext();
    } else if (idle != null) {
      idle.tryComplete();
    }
  }
}
