package io.falconmind.center.store;

import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/**
 * The read side of the store, behind {@link StoreClient}. Validates its input before any query
 * (failing with a 400 {@link StoreException}); database failures are returned as they come and
 * mapped by the caller. Thread-safe.
 */
final class StoreQueries {

  static final int MAX_PAGE = 500;
  static final int MAX_EVENTS = 10_000;

  private final Pool pool;

  StoreQueries(Pool pool) {
    this.pool = pool;
  }

  Future<Mission> mission(String id) {
    if (id == null || id.isEmpty()) return Future.failedFuture(StoreException.badRequest("mission id is missing"));
    return pool.preparedQuery("SELECT body FROM missions WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : Mission.fromJson(rows.iterator().next().getJsonObject(0)));
  }

  /** Newest first, by {@code (created_at, id)} descending, resuming after the filter's cursor. */
  Future<MissionPage> missions(MissionFilter filter) {
    if (filter == null) return Future.failedFuture(StoreException.badRequest("filter is missing"));
    if (filter.limit() < 1 || filter.limit() > MAX_PAGE) {
      return Future.failedFuture(StoreException.badRequest("limit must be between 1 and " + MAX_PAGE));
    }
    for (String state : filter.states()) {
      try {
        MissionState.valueOf(state);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(StoreException.badRequest("unknown mission state '" + state + "'"));
      }
    }
    MissionCursor after;
    try {
      after = filter.after() == null || filter.after().isEmpty() ? null : MissionCursor.decode(filter.after());
    } catch (StoreException e) {
      return Future.failedFuture(e);
    }
    List<Object> params = new ArrayList<>();
    List<String> where = new ArrayList<>();
    if (!filter.states().isEmpty()) {
      params.add(filter.states().toArray(String[]::new));
      where.add("state = ANY($" + params.size() + "::text[])");
    }
    if (filter.type() != null) {
      params.add(filter.type());
      where.add("type = $" + params.size());
    }
    if (filter.deviceId() != null) {
      params.add(filter.deviceId());
      where.add("device_id = $" + params.size());
    }
    if (after != null) {
      params.add(PgTime.of(after.createdAt()));
      params.add(after.id());
      where.add("(created_at, id) < ($" + (params.size() - 1) + ", $" + params.size() + ")");
    }
    params.add(filter.limit() + 1);
    String sql = "SELECT body, created_at, id FROM missions"
        + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
        + " ORDER BY created_at DESC, id DESC LIMIT $" + params.size();
    return pool.preparedQuery(sql).execute(Tuple.from(params)).map(rows -> page(rows, filter.limit()));
  }

  /** The query asked for one row more than the page holds: its presence means there is a next page. */
  private static MissionPage page(RowSet<Row> rows, int limit) {
    List<Mission> items = new ArrayList<>(Math.min(rows.size(), limit));
    Row lastKept = null;
    for (Row row : rows) {
      if (items.size() == limit) {
        return new MissionPage(items,
            new MissionCursor(PgTime.millis(lastKept.getOffsetDateTime(1)), lastKept.getString(2)).encode());
      }
      items.add(Mission.fromJson(row.getJsonObject(0)));
      lastKept = row;
    }
    return new MissionPage(items, null);
  }

  Future<JsonArray> eventsAfter(long afterSeq, int limit) {
    if (limit < 1 || limit > MAX_EVENTS) {
      return Future.failedFuture(StoreException.badRequest("limit must be between 1 and " + MAX_EVENTS));
    }
    return pool.preparedQuery("SELECT body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
        .execute(Tuple.of(afterSeq, limit)).map(rows -> {
          JsonArray out = new JsonArray(new ArrayList<>(rows.size()));
          for (Row row : rows) out.add(EventBodies.decode(row.getBuffer(0)));
          return out;
        });
  }

  Future<Long> oldestEventSeq() {
    return pool.query("SELECT COALESCE(min(seq), 0) FROM events").execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** Everything up to this seq is persisted; 0 on an empty database. */
  Future<Long> lastPersistedSeq() {
    return pool.query("SELECT last_seq FROM control_meta WHERE id = 1").execute()
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0));
  }

  Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }
}
