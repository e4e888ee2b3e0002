package io.falconmind.center.store;

import io.falconmind.center.control.Attempt;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.Mission;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one group commit: the events of a run of consecutive log entries and the latest version
 * of every mission and device they touched, in ONE transaction, with one multi-row statement per
 * table. Idempotent, so a new leader may re-write what an old one already persisted:
 * <ul>
 *   <li>the transaction first locks {@code control_meta} (serializing writers on several nodes)
 *       and skips every row at or below its {@code last_seq}: those events and their effects are
 *       already durable; a batch that would leave a gap after {@code last_seq} is refused;</li>
 *   <li>every upsert and delete is further guarded by the row's {@code seq}.</li>
 * </ul>
 * Thread-safe (no state of its own). A failed future means nothing of the batch was written.
 */
final class BatchWriter {

  private static final String UPSERT_MISSIONS = """
      INSERT INTO missions AS m (id, type, state, priority, device_id, idempotency_key, request_hash,
                                 created_at, updated_at, finished_at, seq, body)
      SELECT u.id, u.type, u.state, u.priority, u.device_id, u.idempotency_key, u.request_hash,
             u.created_at, u.updated_at, u.finished_at, u.seq, u.body::jsonb
      FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
                  $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::bigint[], $12::text[])
        AS u(id, type, state, priority, device_id, idempotency_key, request_hash,
             created_at, updated_at, finished_at, seq, body)
      WHERE u.seq > (SELECT last_seq FROM control_meta WHERE id = 1)
      ON CONFLICT (id) DO UPDATE SET
        type = EXCLUDED.type, state = EXCLUDED.state, priority = EXCLUDED.priority,
        device_id = EXCLUDED.device_id, idempotency_key = EXCLUDED.idempotency_key,
        request_hash = COALESCE(EXCLUDED.request_hash, m.request_hash),
        created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
        finished_at = EXCLUDED.finished_at, seq = EXCLUDED.seq, body = EXCLUDED.body
      WHERE m.seq < EXCLUDED.seq""";

  private static final String UPSERT_DEVICES = """
      INSERT INTO devices AS d (id, seq, body)
      SELECT u.id, u.seq, u.body::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(id, seq, body)
      WHERE u.seq > (SELECT last_seq FROM control_meta WHERE id = 1)
      ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, body = EXCLUDED.body
      WHERE d.seq < EXCLUDED.seq""";

  private static final String DELETE_DEVICES = """
      DELETE FROM devices d USING unnest($1::text[], $2::bigint[]) AS r(id, seq)
      WHERE d.id = r.id AND d.seq < r.seq AND r.seq > (SELECT last_seq FROM control_meta WHERE id = 1)""";

  private static final String INSERT_EVENTS = """
      INSERT INTO events (seq, type, at, mission_id, device_id, body)
      SELECT u.seq, u.type, u.at, u.mission_id, u.device_id, u.body
      FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::bytea[])
        AS u(seq, type, at, mission_id, device_id, body)
      WHERE u.seq > (SELECT last_seq FROM control_meta WHERE id = 1)
      ON CONFLICT (seq) DO NOTHING""";

  private static final String ADVANCE_META =
      "UPDATE control_meta SET last_seq = GREATEST(last_seq, $1), updated_at = now() WHERE id = 1";

  static final String REMOVED = "device.removed";

  private final Pool pool;

  BatchWriter(Pool pool) {
    this.pool = pool;
  }

  /** A batch encoded into statement parameters, ready to be written (and re-written on retry). */
  record Prepared(int events, long firstSeq, long lastSeq, Tuple missions, Tuple devices, Tuple removed,
                  Tuple eventRows) {
  }

  /**
   * Encodes events (ascending seq, at least one) and their effects into statement parameters. CPU
   * only, no I/O: may run on a worker thread (the records are immutable).
   */
  static Prepared prepare(List<Event> events) {
    Effects effects = Effects.of(events);
    List<Event> kept = effects.events;
    return new Prepared(kept.size(), kept.get(0).seq(), kept.get(kept.size() - 1).seq(),
        effects.missions.isEmpty() ? null : missionRows(effects),
        effects.devices.isEmpty() ? null : deviceRows(effects),
        effects.removed.isEmpty() ? null : removedRows(effects),
        eventRows(kept));
  }

  /**
   * Persists a prepared batch in one transaction; rows at or below the persisted seq are skipped.
   * Fails with a 409 {@link StoreException}, writing nothing, when the batch starts past the
   * persisted seq + 1: events in between were never written, and writing on would make "persisted
   * up to seq" untrue. The writer must first re-write the missing range (as a new leader does with
   * what is committed but not persisted).
   */
  Future<Void> write(Prepared batch) {
    return pool.withTransaction(conn -> conn
        .query("SELECT last_seq FROM control_meta WHERE id = 1 FOR UPDATE").execute()
        .compose(rows -> {
          if (rows.size() != 1) return Future.failedFuture(new IllegalStateException("control_meta row is missing"));
          long persisted = rows.iterator().next().getLong(0);
          if (batch.firstSeq() > persisted + 1) {
            return Future.failedFuture(new StoreException(409, "events " + (persisted + 1) + ".." + (batch.firstSeq() - 1)
                + " were never persisted; this batch starts at " + batch.firstSeq()));
          }
          return persisted >= batch.lastSeq() ? Future.succeededFuture() : writeRows(conn, batch);
        }));
  }

  private static Future<Void> writeRows(SqlConnection conn, Prepared batch) {
    // One connection runs them in order; sent together they cost one round trip.
    List<Future<?>> steps = new ArrayList<>(5);
    if (batch.missions() != null) steps.add(conn.preparedQuery(UPSERT_MISSIONS).execute(batch.missions()));
    if (batch.devices() != null) steps.add(conn.preparedQuery(UPSERT_DEVICES).execute(batch.devices()));
    if (batch.removed() != null) steps.add(conn.preparedQuery(DELETE_DEVICES).execute(batch.removed()));
    steps.add(conn.preparedQuery(INSERT_EVENTS).execute(batch.eventRows()));
    steps.add(conn.preparedQuery(ADVANCE_META).execute(Tuple.of(batch.lastSeq())));
    return Future.all(steps).mapEmpty();
  }

  /** Prepares and writes in one go. */
  Future<Void> write(List<Event> events) {
    return events.isEmpty() ? Future.succeededFuture() : write(prepare(events));
  }

  /** The last version of each mission and device in a batch, and the devices it removed. */
  private static final class Effects {
    final List<Event> events = new ArrayList<>();
    final Map<String, Event> missions = new LinkedHashMap<>();
    final Map<String, String> requestHashes = new LinkedHashMap<>();
    final Map<String, Event> devices = new LinkedHashMap<>();
    final Map<String, Long> removed = new LinkedHashMap<>();

    static Effects of(List<Event> batch) {
      Effects out = new Effects();
      long last = Long.MIN_VALUE;
      for (Event e : batch) {
        if (e.seq() <= last) continue; // a replayed duplicate within the batch
        last = e.seq();
        out.events.add(e);
        if (e.mission() != null) {
          out.missions.put(e.mission().id(), e);
          if ("mission.submitted".equals(e.type()) && e.detail() != null) {
            String hash = e.detail().getString("requestHash");
            if (hash != null) out.requestHashes.put(e.mission().id(), hash);
          }
        }
        if (e.device() != null) {
          String id = e.device().id();
          if (REMOVED.equals(e.type())) {
            out.devices.remove(id);
            out.removed.put(id, e.seq());
          } else {
            out.removed.remove(id);
            out.devices.put(id, e);
          }
        }
      }
      return out;
    }
  }

  private static Tuple missionRows(Effects effects) {
    int n = effects.missions.size();
    String[] ids = new String[n];
    String[] types = new String[n];
    String[] states = new String[n];
    Integer[] priorities = new Integer[n];
    String[] devices = new String[n];
    String[] keys = new String[n];
    String[] hashes = new String[n];
    OffsetDateTime[] created = new OffsetDateTime[n];
    OffsetDateTime[] updated = new OffsetDateTime[n];
    OffsetDateTime[] finished = new OffsetDateTime[n];
    Long[] seqs = new Long[n];
    String[] bodies = new String[n];
    int i = 0;
    for (Event e : effects.missions.values()) {
      Mission m = e.mission();
      ids[i] = m.id();
      types[i] = m.type();
      states[i] = m.state().name();
      priorities[i] = m.priority();
      devices[i] = lastDevice(m);
      keys[i] = m.idempotencyKey();
      hashes[i] = effects.requestHashes.get(m.id());
      created[i] = PgTime.of(m.createdAt());
      updated[i] = PgTime.of(m.updatedAt());
      finished[i] = m.finishedAt() == null ? null : PgTime.of(m.finishedAt());
      seqs[i] = e.seq();
      bodies[i] = m.toJson().encode();
      i++;
    }
    return Tuple.tuple().addArrayOfString(ids).addArrayOfString(types).addArrayOfString(states)
        .addArrayOfInteger(priorities).addArrayOfString(devices).addArrayOfString(keys)
        .addArrayOfString(hashes).addArrayOfOffsetDateTime(created).addArrayOfOffsetDateTime(updated)
        .addArrayOfOffsetDateTime(finished).addArrayOfLong(seqs).addArrayOfString(bodies);
  }

  /** The device of the current attempt, or of the last one when the mission went back to the queue. */
  static String lastDevice(Mission m) {
    if (m.deviceId() != null) return m.deviceId();
    Attempt last = m.currentAttempt();
    return last == null ? null : last.deviceId();
  }

  private static Tuple deviceRows(Effects effects) {
    int n = effects.devices.size();
    String[] ids = new String[n];
    Long[] seqs = new Long[n];
    String[] bodies = new String[n];
    int i = 0;
    for (Event e : effects.devices.values()) {
      Device d = e.device();
      ids[i] = d.id();
      seqs[i] = e.seq();
      bodies[i] = d.toStoredJson().encode();
      i++;
    }
    return Tuple.tuple().addArrayOfString(ids).addArrayOfLong(seqs).addArrayOfString(bodies);
  }

  private static Tuple removedRows(Effects effects) {
    return Tuple.tuple().addArrayOfString(effects.removed.keySet().toArray(String[]::new))
        .addArrayOfLong(effects.removed.values().toArray(Long[]::new));
  }

  private static Tuple eventRows(List<Event> events) {
    int n = events.size();
    Long[] seqs = new Long[n];
    String[] types = new String[n];
    OffsetDateTime[] ats = new OffsetDateTime[n];
    String[] missions = new String[n];
    String[] devices = new String[n];
    Buffer[] bodies = new Buffer[n];
    for (int i = 0; i < n; i++) {
      Event e = events.get(i);
      seqs[i] = e.seq();
      types[i] = e.type();
      ats[i] = PgTime.of(e.at());
      missions[i] = e.missionId();
      devices[i] = e.deviceId();
      bodies[i] = EventBodies.encode(e.encoded());
    }
    return Tuple.tuple().addArrayOfLong(seqs).addArrayOfString(types).addArrayOfOffsetDateTime(ats)
        .addArrayOfString(missions).addArrayOfString(devices).addArrayOfBuffer(bodies);
  }
}
