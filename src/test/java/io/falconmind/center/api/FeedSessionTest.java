package io.falconmind.center.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Resume and back-pressure logic of one feed session, without sockets: store answers are released by hand. */
class FeedSessionTest {

  /** Records what the session sends; its write buffer is full when told so. */
  static final class RecordingSink implements FeedSink {
    final List<FeedEntry> sent = new ArrayList<>();
    JsonObject error;
    int closeCode;
    boolean full;
    /** The transport takes this many more events, then is full; unlimited unless set. */
    int room = Integer.MAX_VALUE;
    Runnable drain;
    Runnable gone;

    @Override public void send(FeedEntry entry) {
      sent.add(entry);
      if (--room <= 0) full = true;
    }

    /** The client read everything sent so far; the transport takes {@code more} events again. */
    void drained(int more) {
      room = more;
      full = false;
      drain.run();
    }
    @Override public boolean writeQueueFull() { return full; }
    @Override public void drainHandler(Runnable handler) { drain = handler; }
    @Override public void closeHandler(Runnable handler) { gone = handler; }
    @Override public void fail(JsonObject e, int wsCode) { error = e; closeCode = wsCode; }

    List<Long> seqs() {
      return sent.stream().map(FeedEntry::seq).toList();
    }
  }

  /** The stored events; each request is answered only when {@link #release()} is called. */
  static final class ManualHistory implements FeedSession.History {
    final List<JsonObject> stored = new ArrayList<>();
    final Queue<Runnable> waiting = new ArrayDeque<>();
    long oldest = 1;

    void store(long seq, String type, String missionId) {
      stored.add(new JsonObject().put("seq", seq).put("type", type).put("missionId", missionId));
    }

    @Override
    public Future<JsonArray> eventsAfter(long afterSeq, int limit) {
      Promise<JsonArray> p = Promise.promise();
      waiting.add(() -> {
        JsonArray out = new JsonArray();
        for (JsonObject e : stored) if (e.getLong("seq") > afterSeq && out.size() < limit) out.add(e);
        p.complete(out);
      });
      return p.future();
    }

    @Override
    public Future<Long> oldestEventSeq() {
      Promise<Long> p = Promise.promise();
      waiting.add(() -> p.complete(stored.isEmpty() ? 0L : oldest));
      return p.future();
    }

    void releaseAll() {
      while (!waiting.isEmpty()) waiting.poll().run();
    }

    /** Answers the oldest request only (what it asks next waits). */
    void releaseOne() {
      waiting.poll().run();
    }
  }

  final RecordingSink sink = new RecordingSink();
  final ManualHistory history = new ManualHistory();

  /** An event both persisted (stored) and published live, as the node does. */
  void persist(FeedHub hub, long seq, String missionId) {
    history.store(seq, "mission.updated", missionId);
    hub.publish(new FeedEntry(seq, "mission.updated", missionId, null, "{\"seq\":" + seq + "}"));
  }

  static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  /** A hub whose ring keeps {@code ring} events, with events 1..{@code events} persisted. */
  FeedHub hubWith(int ring, long events) {
    FeedHub hub = new FeedHub(ring);
    for (long s = 1; s <= events; s++) persist(hub, s, "m");
    return hub;
  }

  /** The session caught up and follows the live stream, never closed on the way. */
  void assertCaughtUp(FeedSession session) {
    assertThat(session.closed()).as("closed with %s", sink.error).isFalse();
    assertThat(session.live()).isTrue();
  }

  @Test
  void resumesFromTheRingThenFollowsLiveEvents() {
    FeedHub hub = hubWith(100, 10);
    new FeedSession(sink, FeedFilter.ALL, hub, history, 100, 5).start(4L);
    persist(hub, 11, "m");
    assertThat(sink.seqs()).isEqualTo(range(5, 11));
    assertThat(history.waiting).isEmpty();
  }

  @Test
  void catchesUpFromTheStoreWhileLiveEventsArriveWithoutGapsOrDuplicates() {
    FeedHub hub = hubWith(3, 20);
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 100, 5);
    session.start(2L);
    history.releaseAll(); // oldest seq
    persist(hub, 21, "m");
    history.releaseAll(); // page 3..7
    persist(hub, 22, "m");
    while (!history.waiting.isEmpty()) {
      history.releaseAll();
      persist(hub, hub.ring().newestSeq() + 1, "m");
    }
    persist(hub, hub.ring().newestSeq() + 1, "m");
    assertThat(session.live()).isTrue();
    assertThat(sink.seqs()).isEqualTo(range(3, hub.ring().newestSeq()));
  }

  @Test
  void sendsOnlyMatchingEventsButResumesPastTheOthers() {
    FeedHub hub = new FeedHub(2);
    for (long s = 1; s <= 6; s++) persist(hub, s, s % 2 == 0 ? "even" : "odd");
    FeedSession session = new FeedSession(sink, FeedFilter.parse(null, "even", null), hub, history, 100, 2);
    session.start(0L);
    history.releaseAll();
    history.releaseAll();
    history.releaseAll();
    history.releaseAll();
    persist(hub, 7, "odd");
    persist(hub, 8, "even");
    assertThat(sink.seqs()).containsExactly(2L, 4L, 6L, 8L);
    assertThat(session.resumeSince()).isEqualTo(8);
  }

  @Test
  void closesWhenSinceIsOlderThanTheOldestStoredEvent() {
    FeedHub hub = new FeedHub(10);
    for (long s = 50; s <= 55; s++) history.store(s, "mission.updated", "m");
    history.oldest = 50;
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 100, 5);
    session.start(10L);
    history.releaseAll();
    assertThat(session.closed()).isTrue();
    assertThat(sink.error.getString("code")).isEqualTo("since-pruned");
    assertThat(sink.closeCode).isEqualTo(FeedSession.CLOSE_POLICY);
    assertThat(hub.sessionCount()).isZero();
  }

  @Test
  void queuesWhileTheClientIsBusyAndClosesItWhenTooManyWait() {
    FeedHub hub = new FeedHub(10);
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 3, 5);
    session.start(null);
    persist(hub, 1, "m");
    sink.full = true;
    persist(hub, 2, "m");
    persist(hub, 3, "m");
    sink.full = false;
    sink.drain.run();
    assertThat(sink.seqs()).containsExactly(1L, 2L, 3L);
    sink.full = true;
    for (long s = 4; s <= 8; s++) persist(hub, s, "m");
    assertThat(session.closed()).isTrue();
    assertThat(sink.error.getString("code")).isEqualTo("slow-consumer");
    assertThat(sink.error.getLong("resumeSince")).isEqualTo(3);
    assertThat(sink.closeCode).isEqualTo(FeedSession.CLOSE_TRY_AGAIN_LATER);
  }

  /** Catching up sends what the transport takes and waits for it: the client is not too slow for that. */
  @Test
  void catchesUpFromTheStoreAtTheClientsPaceWithPagesLargerThanItsQueue() {
    FeedHub hub = hubWith(3, 120);
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 3, 50);
    sink.room = 5;
    session.start(0L);
    for (int i = 0; i < 200 && !session.live(); i++) {
      history.releaseAll();
      if (sink.full) sink.drained(5);
      if (i == 10) persist(hub, 121, "m");
    }
    assertCaughtUp(session);
    persist(hub, 122, "m");
    assertThat(sink.seqs()).isEqualTo(range(1, 122));
  }

  @Test
  void catchesUpFromTheRingAtTheClientsPaceWithMoreEventsThanItsQueue() {
    FeedHub hub = hubWith(100, 60);
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 3, 50);
    sink.room = 5;
    session.start(0L);
    for (int i = 0; i < 100 && !session.live(); i++) {
      sink.drained(5);
      if (i == 3) persist(hub, 61, "m");
    }
    assertCaughtUp(session);
    assertThat(history.waiting).isEmpty();
    sink.drained(100);
    persist(hub, 62, "m");
    assertThat(sink.seqs()).isEqualTo(range(1, 62));
  }

  @Test
  void aBurstOfLiveEventsWhileThePageIsReadDoesNotMakeTheClientSlow() {
    FeedHub hub = hubWith(3, 30);
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 3, 10);
    session.start(0L);
    history.releaseOne(); // oldest seq
    history.releaseOne(); // 1..10, all taken; 11..20 is being read
    assertThat(sink.seqs()).isEqualTo(range(1, 10));
    for (long s = 31; s <= 40; s++) persist(hub, s, "m");
    while (!history.waiting.isEmpty()) history.releaseAll();
    assertCaughtUp(session);
    assertThat(sink.seqs()).isEqualTo(range(1, 40));
  }

  @Test
  void closesAClientThatFallsFurtherBehindWhileCatchingUp() {
    FeedHub hub = hubWith(3, 50);
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 4, 10);
    sink.room = 1;
    session.start(0L);
    long next = 51;
    for (int i = 0; i < 100 && !session.closed(); i++) {
      history.releaseAll();
      persist(hub, next++, "m"); // two events come for every one the client reads
      persist(hub, next++, "m");
      if (sink.full) sink.drained(1);
    }
    assertThat(session.closed()).isTrue();
    assertThat(sink.error.getString("code")).isEqualTo("slow-consumer");
    long resumeSince = sink.error.getLong("resumeSince");
    assertThat(sink.seqs()).isEqualTo(range(1, resumeSince));
    assertThat(hub.sessionCount()).isZero();
  }

  @Test
  void sendsSoftSignalsOnlyToLiveSessionsThatAskedForThem() {
    FeedHub hub = new FeedHub(10);
    RecordingSink other = new RecordingSink();
    new FeedSession(sink, FeedFilter.parse("device.telemetry", null, null), hub, history, 10, 5).start(null);
    new FeedSession(other, FeedFilter.ALL, hub, history, 10, 5).start(null);
    hub.onSoft("device.telemetry", new JsonObject().put("deviceId", "d1").put("battery", 50));
    assertThat(sink.sent).hasSize(1);
    assertThat(sink.sent.get(0).soft()).isTrue();
    assertThat(other.sent).isEmpty();
  }

  @Test
  void fillsAGapInTheLiveStreamFromTheStore() {
    FeedHub hub = new FeedHub(10);
    FeedSession session = new FeedSession(sink, FeedFilter.ALL, hub, history, 10, 5);
    session.start(null);
    persist(hub, 1, "m");
    history.store(2, "mission.updated", "m");
    history.store(3, "mission.updated", "m");
    persist(hub, 4, "m");
    assertThat(session.live()).isFalse();
    history.releaseAll();
    persist(hub, 5, "m");
    assertThat(sink.seqs()).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(session.live()).isTrue();
  }

  @Test
  void forgetsAClientThatWentAway() {
    FeedHub hub = new FeedHub(10);
    new FeedSession(sink, FeedFilter.ALL, hub, history, 10, 5).start(null);
    sink.gone.run();
    persist(hub, 1, "m");
    assertThat(hub.sessionCount()).isZero();
    assertThat(sink.sent).isEmpty();
  }
}
