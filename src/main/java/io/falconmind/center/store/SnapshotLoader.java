package io.falconmind.center.store;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState.KeyUse;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the state a new Raft group starts from when the whole cluster starts from nothing, in one
 * read-only repeatable-read transaction (a consistent view even if a writer is still running):
 * <ul>
 *   <li>index 0 (a new log), seq = the last persisted seq, so seq never goes backwards;</li>
 *   <li>every device, OFFLINE and on no node: connection state is not durable, devices announce
 *       themselves again when they reconnect ({@code activeMissions} is recomputed by
 *       {@code ControlState.restore});</li>
 *   <li>every unfinished mission, and finished ones within {@code retainFinishedSec};</li>
 *   <li>idempotency keys of missions created within {@code idempotencyRetentionSec}.</li>
 * </ul>
 */
final class SnapshotLoader {

  private final Pool pool;

  SnapshotLoader(Pool pool) {
    this.pool = pool;
  }

  Future<ControlSnapshot> load(long nowMillis, CenterConfig.Missions config) {
    OffsetDateTime finishedSince = PgTime.of(nowMillis - config.retainFinishedSec() * 1000L);
    OffsetDateTime keysSince = PgTime.of(nowMillis - config.idempotencyRetentionSec() * 1000L);
    return pool.withTransaction(conn -> conn
        .query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute()
        .compose(v -> lastSeq(conn))
        .compose(seq -> devices(conn, nowMillis)
            .compose(devices -> missions(conn, finishedSince)
                .compose(missions -> keys(conn, keysSince)
                    .map(keys -> new ControlSnapshot(0, seq, devices, missions, keys, 0))))));
  }

  private static Future<Long> lastSeq(SqlConnection conn) {
    return conn.query("SELECT last_seq FROM control_meta WHERE id = 1").execute()
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0));
  }

  private static Future<List<Device>> devices(SqlConnection conn, long nowMillis) {
    return conn.query("SELECT body FROM devices ORDER BY id").execute().map(rows -> {
      List<Device> out = new ArrayList<>(rows.size());
      for (Row row : rows) out.add(offline(Device.fromStoredJson(row.getJsonObject(0)), nowMillis));
      return out;
    });
  }

  private static Device offline(Device d, long nowMillis) {
    if (!d.online() && d.nodeId() == null) return d;
    return new Device(d.id(), d.name(), d.tokenHash(), d.kind(), d.capabilities(), d.capacity(), d.specs(),
        d.labels(), false, null, d.draining(), d.registeredAt(), d.updatedAt(), d.connectedAt(),
        d.online() ? Long.valueOf(nowMillis) : d.disconnectedAt(), d.activeMissions());
  }

  private static Future<List<Mission>> missions(SqlConnection conn, OffsetDateTime finishedSince) {
    return conn.preparedQuery("SELECT body FROM missions WHERE state IN ('QUEUED', 'ASSIGNED', 'RUNNING') "
        + "UNION ALL SELECT body FROM missions WHERE finished_at >= $1")
        .execute(Tuple.of(finishedSince)).map(rows -> {
          List<Mission> out = new ArrayList<>(rows.size());
          for (Row row : rows) out.add(Mission.fromJson(row.getJsonObject(0)));
          return out;
        });
  }

  private static Future<Map<String, KeyUse>> keys(SqlConnection conn, OffsetDateTime since) {
    return conn.preparedQuery("SELECT idempotency_key, id, request_hash, created_at FROM missions "
            + "WHERE idempotency_key IS NOT NULL AND created_at >= $1 ORDER BY created_at, id")
        .execute(Tuple.of(since)).map(rows -> {
          Map<String, KeyUse> out = new HashMap<>();
          for (Row row : rows) {
            // a key reused after it expired belongs to the newest mission
            String hash = row.getString(2);
            out.put(row.getString(0), new KeyUse(row.getString(1), hash == null ? "" : hash,
                PgTime.millis(row.getOffsetDateTime(3))));
          }
          return out;
        });
  }
}
