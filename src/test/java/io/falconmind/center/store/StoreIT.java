package io.falconmind.center.store;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.Applied;
import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;
import io.falconmind.center.control.PersistedEvents;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.falconmind.center.store.TestDb.await;
import static io.falconmind.center.store.TestDb.awaitFailure;
import static io.falconmind.center.store.TestDb.count;
import static io.falconmind.center.store.TestDb.one;
import static org.assertj.core.api.Assertions.assertThat;

/** The store against a real (embedded) PostgreSQL shared by the tests of this class. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class StoreIT {

  private static final CenterConfig.Store STORE = new CenterConfig.Store(4000, false);
  private static final CenterConfig.Missions MISSIONS = new CenterConfig.Missions(300, 3, 1000, 60000, 60, 3600, 1000);

  @TempDir
  static Path dataDir;
  private static Database db;

  private Vertx vertx;
  private String deployment;

  @BeforeAll
  static void openDatabase(Vertx vertx) {
    db = TestDb.open(vertx, dataDir, false);
  }

  @AfterAll
  static void closeDatabase() {
    if (db != null) await(db.close());
  }

  @BeforeEach
  void clean(Vertx vertx) {
    this.vertx = vertx;
    TestDb.reset(db);
  }

  @AfterEach
  void undeploy() {
    if (deployment != null) await(vertx.undeploy(deployment));
  }

  // ---- group commit ---------------------------------------------------------------------------

  @Test
  void persistsEverythingAppliedAndReportsItInLogOrder() {
    ControlScript script = busyDay();
    List<PersistedEvents> reports = new CopyOnWriteArrayList<>();
    Future<Void> all = collectPersisted(reports, lastIndex(script));
    deployStore();

    publishApplied(script.applied());
    await(all);

    long previousIndex = 0;
    long previousSeq = 0;
    List<Event> reported = new ArrayList<>();
    for (PersistedEvents p : reports) {
      assertThat(p.index()).isGreaterThan(previousIndex);
      assertThat(p.seq()).isGreaterThanOrEqualTo(previousSeq);
      previousIndex = p.index();
      previousSeq = p.seq();
      reported.addAll(p.events());
    }
    assertThat(reported).containsExactlyElementsOf(allEvents(script));
    assertThat(previousSeq).isEqualTo(script.state().seq());
    assertMatchesState(script);
  }

  @Test
  void anEntryWithoutEventsIsReportedPersistedWithTheLastSeq() {
    ControlScript script = new ControlScript();
    script.register("d1");
    script.noEvents();
    List<PersistedEvents> reports = new CopyOnWriteArrayList<>();
    Future<Void> all = collectPersisted(reports, 2);
    deployStore();

    publishApplied(script.applied());
    await(all);

    assertThat(reports.get(reports.size() - 1)).isEqualTo(new PersistedEvents(2, 1, List.of()));
  }

  @Test
  void rewritingWhatIsAlreadyPersistedChangesNothing() {
    ControlScript script = busyDay();
    List<Event> events = allEvents(script);
    BatchWriter writer = new BatchWriter(db.pool());
    await(writer.write(events));
    Map<String, JsonObject> missions = missionBodies();
    Map<String, JsonObject> devices = deviceBodies();

    await(writer.write(events));
    await(writer.write(events.subList(0, events.size() / 2)));
    await(writer.write(events.subList(3, 9)));

    assertThat(missionBodies()).isEqualTo(missions);
    assertThat(deviceBodies()).isEqualTo(devices);
    assertThat(count(db, "events")).isEqualTo(events.size());
    assertThat(one(db, "SELECT last_seq FROM control_meta").getLong(0)).isEqualTo(script.state().seq());
  }

  @Test
  void anOlderVersionNeverOverwritesANewerRowEvenPastTheSeqMark() {
    ControlScript script = busyDay();
    List<Event> events = allEvents(script);
    BatchWriter writer = new BatchWriter(db.pool());
    await(writer.write(events));
    Map<String, JsonObject> missions = missionBodies();
    await(db.pool().query("UPDATE control_meta SET last_seq = 0").execute());

    await(writer.write(events.subList(0, events.size() - 1)));

    assertThat(missionBodies()).isEqualTo(missions);
  }

  @Test
  void twoWritersOfTheSameStreamEndInTheSameState() {
    ControlScript script = busyDay();
    List<Event> events = allEvents(script);

    // an old and a new leader, each writing the stream in order, in batches of their own sizes
    await(Future.all(inOrder(new BatchWriter(db.pool()), events, 4), inOrder(new BatchWriter(db.pool()), events, 7)));

    assertMatchesState(script);
  }

  @Test
  void aBatchThatWouldLeaveAGapIsRefusedAndWritesNothing() {
    ControlScript script = busyDay();
    List<Event> events = allEvents(script);
    BatchWriter writer = new BatchWriter(db.pool());
    await(writer.write(events.subList(0, 5)));

    Throwable refused = awaitFailure(writer.write(events.subList(6, 10)));

    assertThat(refused).isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.status()).isEqualTo(409));
    assertThat(count(db, "events")).isEqualTo(5);
    assertThat(one(db, "SELECT last_seq FROM control_meta").getLong(0)).isEqualTo(5);
    await(writer.write(events.subList(5, events.size())));
    assertMatchesState(script);
  }

  private static Future<Void> inOrder(BatchWriter writer, List<Event> events, int batch) {
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < events.size(); from += batch) {
      List<Event> slice = events.subList(from, Math.min(events.size(), from + batch));
      chain = chain.compose(v -> writer.write(slice));
    }
    return chain;
  }

  @Test
  void aRemovedDeviceIsDeleted() {
    ControlScript script = new ControlScript();
    script.register("d1");
    script.register("d2");
    script.remove("d2");

    await(new BatchWriter(db.pool()).write(allEvents(script)));

    assertThat(deviceBodies()).containsOnlyKeys("d1");
  }

  // ---- reads ------------------------------------------------------------------------------------

  @Test
  void readsAMissionAsLastPersisted() {
    ControlScript script = busyDay();
    await(new BatchWriter(db.pool()).write(allEvents(script)));
    deployStore();
    StoreClient client = new StoreClient(vertx);

    assertThat(await(client.mission("m1")).toJson()).isEqualTo(script.state().mission("m1").toJson());
    assertThat(await(client.mission("nope"))).isNull();
  }

  @Test
  void pagesThroughMissionsNewestFirstWithoutGapsOrDuplicates() {
    ControlScript script = manyMissions(31);
    await(new BatchWriter(db.pool()).write(allEvents(script)));
    deployStore();
    StoreClient client = new StoreClient(vertx);

    List<String> expected = newestFirst(script.state().missions().stream().toList());
    assertThat(pageThrough(client, List.of(), null, null, 7)).containsExactlyElementsOf(expected);
    assertThat(pageThrough(client, List.of(), null, null, 500)).containsExactlyElementsOf(expected);
    assertThat(pageThrough(client, List.of(), null, null, 1)).containsExactlyElementsOf(expected);
  }

  @Test
  void filtersMissionsByStateTypeAndDevice() {
    ControlScript script = manyMissions(31);
    await(new BatchWriter(db.pool()).write(allEvents(script)));
    deployStore();
    StoreClient client = new StoreClient(vertx);
    List<Mission> all = script.state().missions().stream().toList();

    assertThat(pageThrough(client, List.of("SUCCEEDED", "QUEUED"), null, null, 4)).containsExactlyElementsOf(
        newestFirst(all.stream().filter(m -> m.state() == MissionState.SUCCEEDED || m.state() == MissionState.QUEUED).toList()));
    assertThat(pageThrough(client, List.of(), "survey", null, 3)).containsExactlyElementsOf(
        newestFirst(all.stream().filter(m -> m.type().equals("survey")).toList()));
    List<String> onD2 = newestFirst(all.stream().filter(m -> "d2".equals(BatchWriter.lastDevice(m))).toList());
    assertThat(onD2).isNotEmpty();
    assertThat(pageThrough(client, List.of(), null, "d2", 2)).containsExactlyElementsOf(onD2);
    assertThat(pageThrough(client, List.of("RUNNING"), "delivery", "d1", 2)).containsExactlyElementsOf(
        newestFirst(all.stream().filter(m -> m.state() == MissionState.RUNNING && m.type().equals("delivery")
            && "d1".equals(m.deviceId())).toList()));
  }

  @Test
  void aRequeuedMissionIsFoundUnderTheDeviceOfItsLastAttempt() {
    ControlScript script = new ControlScript();
    script.register("d2");
    script.connect("d2", "n1");
    script.submit("m1", "survey");
    script.assign("m1", "d2");
    script.report("m1", AttemptStatus.REJECTED);
    assertThat(script.state().mission("m1").state()).isEqualTo(MissionState.QUEUED);
    await(new BatchWriter(db.pool()).write(allEvents(script)));
    deployStore();

    assertThat(pageThrough(new StoreClient(vertx), List.of(), null, "d2", 10)).containsExactly("m1");
  }

  @Test
  void refusesBadListRequestsWith400() {
    deployStore();
    StoreClient client = new StoreClient(vertx);

    for (MissionFilter bad : List.of(
        new MissionFilter(List.of(), null, null, 10, "not-a-cursor"),
        new MissionFilter(List.of(), null, null, 10, "MTphYmM6bQ"),
        new MissionFilter(List.of(), null, null, 0, null),
        new MissionFilter(List.of(), null, null, 501, null),
        new MissionFilter(List.of("DONE"), null, null, 10, null))) {
      Throwable failure = awaitFailure(client.missions(bad));
      assertThat(failure).as(bad.toString()).isInstanceOfSatisfying(ReplyException.class,
          e -> assertThat(e.failureCode()).isEqualTo(400));
    }
  }

  @Test
  void servesEventsAfterASeqAndTheOldestKept() {
    ControlScript script = busyDay();
    List<Event> events = allEvents(script);
    await(new BatchWriter(db.pool()).write(events));
    deployStore();
    StoreClient client = new StoreClient(vertx);

    JsonArray first = await(client.eventsAfter(0, 5));
    JsonArray rest = await(client.eventsAfter(5, 1000));

    assertThat(first.size()).isEqualTo(5);
    List<JsonObject> all = new ArrayList<>();
    first.forEach(o -> all.add((JsonObject) o));
    rest.forEach(o -> all.add((JsonObject) o));
    assertThat(all).containsExactlyElementsOf(events.stream().map(Event::toJson).toList());
    assertThat(await(client.oldestEventSeq())).isEqualTo(1L);
    assertThat(await(client.eventsAfter(events.size(), 10))).isEmpty();
    await(client.ping());
  }

  @Test
  void prunesOldEventsInBatchesButKeepsTheNewest() {
    ControlScript script = busyDay();
    List<Event> events = allEvents(script);
    await(new BatchWriter(db.pool()).write(events));

    long deleted = await(new EventPruner(db.pool(), 3).prune(script.now() + 1));

    assertThat(deleted).isEqualTo(events.size() - 1);
    assertThat(one(db, "SELECT min(seq) FROM events").getLong(0)).isEqualTo(script.state().seq());
    assertThat(await(new EventPruner(db.pool(), 3).prune(ControlScript.START - 1))).isZero();
  }

  // ---- bootstrap snapshot ---------------------------------------------------------------------

  @Test
  void loadsWhatANewGroupStartsFrom() {
    ControlScript script = busyDay();
    await(new BatchWriter(db.pool()).write(allEvents(script)));

    ControlSnapshot snapshot = await(db.loadSnapshot(script.now() + 1_000, MISSIONS));

    assertThat(snapshot.index()).isZero();
    assertThat(snapshot.seq()).isEqualTo(script.state().seq());
    assertThat(snapshot.devices()).extracting(Device::id).containsExactlyInAnyOrder("d1", "d2");
    for (Device d : snapshot.devices()) {
      assertThat(d.online()).isFalse();
      assertThat(d.nodeId()).isNull();
      assertThat(d.tokenHash()).isEqualTo(script.state().device(d.id()).tokenHash());
    }
    assertThat(snapshot.missions()).extracting(Mission::id)
        .containsExactlyInAnyOrderElementsOf(script.state().missions().stream().map(Mission::id).toList());
    assertThat(snapshot.keys()).isEqualTo(Map.of(
        "key-1", new ControlState.KeyUse("m1", "hash-of-m1", ControlScript.START),
        "key-2", new ControlState.KeyUse("m2", "hash-of-m2", ControlScript.START)));
  }

  @Test
  void leavesOutMissionsFinishedAndKeysUsedBeforeTheirRetention() {
    ControlScript script = busyDay();
    await(new BatchWriter(db.pool()).write(allEvents(script)));

    ControlSnapshot snapshot = await(db.loadSnapshot(script.now() + 2 * 3_600_000, MISSIONS));

    assertThat(snapshot.missions()).extracting(Mission::id).containsExactlyInAnyOrder("m1", "m4");
    assertThat(snapshot.keys()).isEmpty();
  }

  @Test
  void aRestoredStateContinuesTheSeqRecomputesLoadAndHonoursKeys() {
    ControlScript before = busyDay();
    await(new BatchWriter(db.pool()).write(allEvents(before)));
    ControlState state = new ControlState();

    state.restore(await(db.loadSnapshot(before.now() + 1_000, MISSIONS)));

    assertThat(state.device("d1").activeMissions()).containsExactly("m1");
    assertThat(state.device("d2").activeMissions()).isEmpty();
    ControlScript after = new ControlScript(state);
    Applied retry = after.submit("m1", "survey", "key-1");
    assertThat(retry.events()).isEmpty();
    JsonObject item = retry.reply().getJsonArray("items").getJsonObject(0);
    assertThat(item.getBoolean("created")).isFalse();
    assertThat(item.getString("missionId")).isEqualTo("m1");
    Applied reuse = after.submit("m1-other", "survey", "key-1");
    assertThat(reuse.reply().getJsonArray("items").getJsonObject(0).getJsonObject("error").getString("code"))
        .isEqualTo("idempotency-key-reused");
    Applied fresh = after.submit("m9", "survey");
    assertThat(fresh.events().get(0).seq()).isEqualTo(before.state().seq() + 1);
  }

  @Test
  void anEmptyDatabaseGivesAnEmptySnapshot() {
    ControlSnapshot snapshot = await(db.loadSnapshot(System.currentTimeMillis(), MISSIONS));

    assertThat(snapshot).isEqualTo(ControlSnapshot.EMPTY);
  }

  // ---- migrations -------------------------------------------------------------------------------

  @Test
  void migrationsRunOnceEvenWhenSeveralNodesStartAtOnce() {
    await(db.pool().query("DROP DATABASE IF EXISTS race").execute());
    await(db.pool().query("CREATE DATABASE race").execute());
    int port = one(db, "SELECT inet_server_port()").getInteger(0);
    List<Migrations.Migration> versions = new ArrayList<>(Migrations.fromClasspath().migrations());
    versions.add(new Migrations.Migration(99, "V99__extra.sql", "CREATE TABLE extra (id int PRIMARY KEY)", "x"));
    Migrations migrations = new Migrations(versions);
    List<Pool> pools = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      pools.add(PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(new PgConnectOptions()
          .setHost("127.0.0.1").setPort(port).setDatabase("race").setUser("postgres")).using(vertx).build());
    }
    try {
      List<Future<Integer>> runs = pools.stream().map(migrations::apply).toList();
      int applied = await(Future.all(runs).map(all -> runs.stream().mapToInt(Future::result).sum()));
      int again = await(migrations.apply(pools.get(0)));

      assertThat(applied).isEqualTo(versions.size());
      assertThat(again).isZero();
      Row versionsRow = await(pools.get(0).query("SELECT count(*), max(version) FROM schema_version").execute())
          .iterator().next();
      assertThat(versionsRow.getLong(0)).isEqualTo(versions.size());
      assertThat(versionsRow.getInteger(1)).isEqualTo(99);
    } finally {
      pools.forEach(p -> await(p.close()));
      await(db.pool().query("DROP DATABASE race").execute());
    }
  }

  @Test
  void reopeningAMigratedDatabaseAppliesNothing() {
    assertThat(await(Migrations.fromClasspath().apply(db.pool()))).isZero();
    assertThat(count(db, "schema_version")).isEqualTo(Migrations.fromClasspath().migrations().size());
  }

  // ---- scenario and helpers -----------------------------------------------------------------------

  /**
   * Two devices online, a third registered and removed; m1 running on d1, m2 succeeded on d2,
   * m3 canceled, m4 queued; m1 and m2 carry idempotency keys.
   */
  static ControlScript busyDay() {
    ControlScript s = new ControlScript();
    s.register("d1");
    s.register("d2");
    s.register("d3");
    s.connect("d1", "n1");
    s.connect("d2", "n2");
    s.submit("m1", "survey", "key-1");
    s.submit("m2", "delivery", "key-2");
    s.submit("m3", "survey");
    s.submit("m4", "delivery");
    s.advance(1_000);
    s.assign("m1", "d1");
    s.report("m1", AttemptStatus.RUNNING);
    s.assign("m2", "d2");
    s.report("m2", AttemptStatus.RUNNING);
    s.report("m2", AttemptStatus.SUCCEEDED);
    s.noEvents();
    s.cancel("m3");
    s.remove("d3");
    return s;
  }

  /** {@code n} missions, three per millisecond (ties on created_at), of two types, in every state. */
  static ControlScript manyMissions(int n) {
    ControlScript s = new ControlScript();
    s.register("d1");
    s.register("d2");
    s.apply(new io.falconmind.center.control.Command.UpdateProfile("d1", "drone", List.of(), 100,
        new JsonObject(), Map.of(), s.now()));
    s.apply(new io.falconmind.center.control.Command.UpdateProfile("d2", "drone", List.of(), 100,
        new JsonObject(), Map.of(), s.now()));
    s.connect("d1", "n1");
    s.connect("d2", "n1");
    for (int i = 0; i < n; i++) {
      if (i % 3 == 0) s.advance(1);
      s.submit(String.format("m%02d", (i * 7) % n), i % 2 == 0 ? "survey" : "delivery");
    }
    s.advance(1);
    for (int i = 0; i < n; i++) {
      String id = String.format("m%02d", i);
      switch (i % 5) {
        case 1 -> s.assign(id, "d1");
        case 2 -> {
          s.assign(id, i % 2 == 0 ? "d1" : "d2");
          s.report(id, AttemptStatus.RUNNING);
        }
        case 3 -> {
          s.assign(id, "d2");
          s.report(id, AttemptStatus.SUCCEEDED);
        }
        case 4 -> s.cancel(id);
        default -> {
        }
      }
    }
    return s;
  }

  private static List<String> newestFirst(List<Mission> missions) {
    return missions.stream()
        .sorted(Comparator.comparingLong(Mission::createdAt).thenComparing(Mission::id).reversed())
        .map(Mission::id).toList();
  }

  private static List<String> pageThrough(StoreClient client, List<String> states, String type, String device,
                                          int limit) {
    List<String> ids = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String cursor = null;
    do {
      MissionPage page = await(client.missions(new MissionFilter(states, type, device, limit, cursor)));
      assertThat(page.items().size()).isLessThanOrEqualTo(limit);
      for (Mission m : page.items()) {
        assertThat(seen.add(m.id())).as("duplicate " + m.id()).isTrue();
        ids.add(m.id());
      }
      cursor = page.next();
    } while (cursor != null);
    return ids;
  }

  private void deployStore() {
    deployment = await(vertx.deployVerticle(new StoreVerticle(db, STORE)));
  }

  private Future<Void> collectPersisted(List<PersistedEvents> into, long untilIndex) {
    ControlClient.registerCodecs(vertx);
    Promise<Void> done = Promise.promise();
    var consumer = vertx.eventBus().<PersistedEvents>localConsumer(ControlClient.PERSISTED, m -> {
      into.add(m.body());
      if (m.body().index() >= untilIndex) done.tryComplete();
    });
    await(consumer.completion());
    return done.future().eventually(consumer::unregister);
  }

  /** Publishes from one context, as the Raft verticle does, so the order is the log order. */
  private void publishApplied(List<Applied> entries) {
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
    Promise<Void> sent = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      for (Applied a : entries) vertx.eventBus().publish(ControlClient.APPLIED, a, local);
      sent.complete();
    });
    await(sent.future());
  }

  private static long lastIndex(ControlScript script) {
    return script.applied().get(script.applied().size() - 1).index();
  }

  private static List<Event> allEvents(ControlScript script) {
    return script.applied().stream().flatMap(a -> a.events().stream()).toList();
  }

  private static Map<String, JsonObject> missionBodies() {
    return bodies("SELECT id, body FROM missions");
  }

  private static Map<String, JsonObject> deviceBodies() {
    return bodies("SELECT id, body FROM devices");
  }

  private static Map<String, JsonObject> bodies(String sql) {
    Map<String, JsonObject> out = new java.util.TreeMap<>();
    for (Row row : await(db.pool().query(sql).execute())) out.put(row.getString(0), row.getJsonObject(1));
    return out;
  }

  private static Map<String, JsonObject> withoutLoad(Map<String, JsonObject> devices) {
    Map<String, JsonObject> out = new java.util.TreeMap<>();
    devices.forEach((id, body) -> out.put(id, body.copy().put("activeMissions", (Object) null)));
    return out;
  }

  private static void assertMatchesState(ControlScript script) {
    ControlState state = script.state();
    assertThat(missionBodies()).isEqualTo(state.missions().stream()
        .collect(Collectors.toMap(Mission::id, Mission::toJson)));
    // activeMissions of a stored device may lag (a finished mission's event does not carry the
    // device it released); a restore recomputes it from the missions
    assertThat(withoutLoad(deviceBodies())).isEqualTo(withoutLoad(state.devices().stream()
        .collect(Collectors.toMap(Device::id, Device::toStoredJson))));
    assertThat(count(db, "events")).isEqualTo(state.seq());
    assertThat(one(db, "SELECT last_seq FROM control_meta").getLong(0)).isEqualTo(state.seq());
    Row m1 = one(db, "SELECT request_hash, idempotency_key, device_id, state FROM missions WHERE id = 'm1'");
    assertThat(m1.getString(0)).isEqualTo("hash-of-m1");
    assertThat(m1.getString(1)).isEqualTo("key-1");
    assertThat(m1.getString(2)).isEqualTo("d1");
    assertThat(m1.getString(3)).isEqualTo("RUNNING");
  }
}
