package io.falconmind.center.store;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.PersistedEvents;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class GroupCommitTest {

  private record Write(List<Event> events, Promise<Void> promise) {
    List<Long> seqs() {
      return events.stream().map(Event::seq).toList();
    }
  }

  private final BlockingQueue<Write> writes = new LinkedBlockingQueue<>();
  private final BlockingQueue<PersistedEvents> persisted = new LinkedBlockingQueue<>();
  private final ControlScript script = new ControlScript();
  private Context context;
  private final List<List<Long>> prepared = new java.util.concurrent.CopyOnWriteArrayList<>();
  private GroupCommit<List<Event>> commit;

  @BeforeEach
  void setUp(Vertx vertx) {
    context = vertx.getOrCreateContext();
    commit = new GroupCommit<>(vertx, new GroupCommit.Sink<>() {
      @Override
      public Future<List<Event>> prepare(List<Event> events) {
        prepared.add(events.stream().map(Event::seq).toList());
        return Future.succeededFuture(events);
      }

      @Override
      public Future<Void> write(List<Event> events) {
        Promise<Void> promise = Promise.promise();
        writes.add(new Write(events, promise));
        return promise.future();
      }
    }, persisted::add, 5, 0, 10, 40);
  }

  @Test
  void writesTheFirstEntryAtOnceAndEverythingThatArrivesMeanwhileAsOneBatch() throws Exception {
    offer(script.register("d1"), script.submit("m1", "survey"), script.submit("m2", "survey"),
        script.submit("m3", "survey"));

    Write first = nextWrite();
    assertThat(first.seqs()).containsExactly(1L);
    assertThat(writes).isEmpty();

    succeed(first);
    assertThat(nextPersisted()).isEqualTo(new PersistedEvents(1, 1, first.events()));
    Write second = nextWrite();
    assertThat(second.seqs()).containsExactly(2L, 3L, 4L);

    succeed(second);
    PersistedEvents p = nextPersisted();
    assertThat(p.index()).isEqualTo(4);
    assertThat(p.seq()).isEqualTo(4);
    assertThat(p.events()).extracting(Event::seq).containsExactly(2L, 3L, 4L);
    assertThat(writes).isEmpty();
  }

  @Test
  void aBatchHoldsAtMostBatchMaxEventsInWholeEntries() throws Exception {
    offer(script.register("d0"));
    for (int i = 1; i <= 7; i++) offer(script.register("d" + i));

    assertThat(prepared).as("a full batch is encoded while the first is written")
        .containsExactly(List.of(1L), List.of(2L, 3L, 4L, 5L, 6L));

    succeed(nextWrite());
    Write second = nextWrite();
    assertThat(second.seqs()).containsExactly(2L, 3L, 4L, 5L, 6L);
    succeed(second);
    assertThat(nextWrite().seqs()).containsExactly(7L, 8L);
  }

  @Test
  void anEntryWithoutEventsIsReportedAtOnceWhenNothingIsPending() throws Exception {
    Applied noEvents = script.noEvents();

    offer(noEvents);

    assertThat(nextPersisted()).isEqualTo(new PersistedEvents(noEvents.index(), 0, List.of()));
    assertThat(writes).isEmpty();
  }

  @Test
  void anEntryWithoutEventsKeepsItsPlaceBehindAPendingWrite() throws Exception {
    offer(script.register("d1"), script.noEvents());
    assertThat(persisted).isEmpty();

    succeed(nextWrite());

    assertThat(nextPersisted().index()).isEqualTo(1);
    assertThat(nextPersisted()).isEqualTo(new PersistedEvents(2, 1, List.of()));
    assertThat(writes).isEmpty();
  }

  @Test
  void aFailedWriteIsRetriedAsTheSameBatchAndNothingIsReportedUntilItSucceeds() throws Exception {
    offer(script.register("d1"));
    Write first = nextWrite();
    onContext(() -> first.promise().fail("database unreachable"));
    offer(script.register("d2"));

    Write retry = nextWrite();
    assertThat(retry.seqs()).containsExactly(1L);
    assertThat(persisted).isEmpty();
    onContext(() -> retry.promise().fail("still unreachable"));
    Write again = nextWrite();
    assertThat(again.seqs()).containsExactly(1L);

    succeed(again);
    assertThat(nextPersisted().seq()).isEqualTo(1);
    Write next = nextWrite();
    assertThat(next.seqs()).containsExactly(2L);
    succeed(next);
    assertThat(nextPersisted()).isEqualTo(new PersistedEvents(2, 2, next.events()));
  }

  @Test
  void closeWaitsUntilEverythingQueuedIsWritten() throws Exception {
    offer(script.register("d1"), script.register("d2"));
    CompletableFuture<Future<Void>> closing = new CompletableFuture<>();
    onContext(() -> closing.complete(commit.close(10_000)));
    Future<Void> closed = closing.get();

    succeed(nextWrite());
    assertThat(closed.isComplete()).isFalse();
    succeed(nextWrite());

    TestDb.await(closed);
    assertThat(persisted).hasSize(2);
  }

  private void offer(Applied... entries) throws Exception {
    onContext(() -> {
      for (Applied a : entries) commit.offer(a);
    });
  }

  private void succeed(Write write) throws Exception {
    onContext(() -> write.promise().complete());
  }

  private Write nextWrite() throws InterruptedException {
    Write w = writes.poll(10, TimeUnit.SECONDS);
    assertThat(w).as("a write").isNotNull();
    return w;
  }

  private PersistedEvents nextPersisted() throws InterruptedException {
    PersistedEvents p = persisted.poll(10, TimeUnit.SECONDS);
    assertThat(p).as("a persisted report").isNotNull();
    return p;
  }

  /** GroupCommit is confined to one context: the test acts on it there and waits. */
  private void onContext(Runnable action) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        action.run();
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    done.get(10, TimeUnit.SECONDS);
  }
}
