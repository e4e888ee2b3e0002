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
 * goes out as the next single write. After each successful write one {@link PersistedEvents}
 * (highest index, highest persisted seq, the events written) is handed to the publisher, strictly
 * in log order. An entry without events still advances the persisted index: with nothing queued
 * or in flight it is reported at once, otherwise it rides with the batch it queued behind.
 *
 * <p>A failed write is logged and retried, the same batch, with exponential backoff, for as long
 * as it takes: nothing is dropped, reordered, or reported persisted before it is. Meanwhile new
 * entries keep queueing (in memory; acknowledgements wait for them, which is the back-pressure).
 *
 * <p>Not thread-safe: call it on one context (the store verticle's), where the sink's futures
 * and the retry timers also complete.
 */
final class GroupCommit {

  /** Writes a batch of events (ascending seq) atomically; idempotent. */
  interface Sink {
    Future<Void> write(List<Event> events);
  }

  private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

  private final Vertx vertx;
  private final Sink sink;
  private final Consumer<PersistedEvents> publisher;
  private final int batchMaxEvents;
  private final long retryMinMs;
  private final long retryMaxMs;

  private final ArrayDeque<Applied> queue = new ArrayDeque<>();
  private int queuedEvents;
  private boolean inFlight;
  private long persistedSeq;
  private long retryDelayMs;
  private long retryTimer = -1;
  private int failures;
  private boolean closed;
  private Promise<Void> idle;

  /**
   * @param persistedSeq the highest seq already durable (reported with entries that have no events
   *                     until a write moves it on)
   */
  GroupCommit(Vertx vertx, Sink sink, Consumer<PersistedEvents> publisher, int batchMaxEvents,
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
    if (applied.events().isEmpty() && !inFlight && queue.isEmpty()) {
      publisher.accept(new PersistedEvents(applied.index(), persistedSeq, List.of()));
      return;
    }
    queue.add(applied);
    queuedEvents += applied.events().size();
    if (!inFlight) flush();
  }

  /** Events queued or being written, not yet reported persisted. */
  int queuedEvents() {
    return queuedEvents;
  }

  long persistedSeq() {
    return persistedSeq;
  }

  /**
   * Stops taking entries and completes once everything queued is written, or fails after
   * {@code timeoutMs} (the rest is then left for the next writer: it was never reported persisted).
   */
  Future<Void> close(long timeoutMs) {
    closed = true;
    if (!inFlight && queue.isEmpty()) return Future.succeededFuture();
    if (idle == null) idle = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
      idle.tryFail(new StoreException(503, "gave up persisting " + queuedEvents + " queued events on stop"));
    });
    return idle.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  private void flush() {
    List<Applied> batch = new ArrayList<>();
    int events = 0;
    while (!queue.isEmpty()) {
      Applied next = queue.peek();
      if (!batch.isEmpty() && events + next.events().size() > batchMaxEvents) break;
      queue.poll();
      batch.add(next);
      events += next.events().size();
    }
    List<Event> written = new ArrayList<>(events);
    for (Applied a : batch) written.addAll(a.events());
    inFlight = true;
    write(batch, written);
  }

  private void write(List<Applied> batch, List<Event> events) {
    retryTimer = -1;
    Future<Void> done = events.isEmpty() ? Future.succeededFuture() : sink.write(events);
    done.onComplete(ar -> {
      if (ar.succeeded()) {
        committed(batch, events);
      } else {
        retryLater(batch, events, ar.cause());
      }
    });
  }

  private void retryLater(List<Applied> batch, List<Event> events, Throwable cause) {
    failures++;
    if (failures == 1 || failures % 20 == 0) {
      LOG.warn("persisting {} events (seq {}..{}) failed {} time(s), retrying in {} ms: {}", events.size(),
          events.get(0).seq(), events.get(events.size() - 1).seq(), failures, retryDelayMs, cause.toString());
    }
    if (idle != null && idle.future().isComplete()) return;
    retryTimer = vertx.setTimer(retryDelayMs, id -> write(batch, events));
    retryDelayMs = Math.min(retryDelayMs * 2, retryMaxMs);
  }

  private void committed(List<Applied> batch, List<Event> events) {
    if (failures > 0) LOG.info("persisting works again after {} failed attempt(s)", failures);
    failures = 0;
    retryDelayMs = retryMinMs;
    long index = 0;
    for (Applied a : batch) index = Math.max(index, a.index());
    if (!events.isEmpty()) persistedSeq = Math.max(persistedSeq, events.get(events.size() - 1).seq());
    queuedEvents -= events.size();
    inFlight = false;
    publisher.accept(new PersistedEvents(index, persistedSeq, List.copyOf(events)));
    if (!queue.isEmpty()) {
      flush();
    } else if (idle != null) {
      idle.tryComplete();
    }
  }
}
