package io.falconmind.center.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * Keeps the events table bounded: deletes events older than a cutoff in small batches (one short
 * statement each, so writers are never held up for long). The newest event is always kept so the
 * oldest kept seq stays meaningful to feeds that resume. Thread-safe; failures are returned as is.
 */
final class EventPruner {

  private static final String DELETE_BATCH = """
      DELETE FROM events WHERE seq IN (
        SELECT seq FROM events
        WHERE at < $1 AND seq < (SELECT max(seq) FROM events)
        ORDER BY at LIMIT $2)""";

  private final Pool pool;
  private final int batchSize;

  EventPruner(Pool pool, int batchSize) {
    this.pool = pool;
    this.batchSize = batchSize;
  }

  /** Deletes every event older than {@code cutoffMillis}, batch after batch; completes with the count. */
  Future<Long> prune(long cutoffMillis) {
    return pruneFrom(cutoffMillis, 0);
  }

  private Future<Long> pruneFrom(long cutoffMillis, long deletedSoFar) {
    return pool.preparedQuery(DELETE_BATCH).execute(Tuple.of(PgTime.of(cutoffMillis), batchSize))
        .compose(rows -> {
          long total = deletedSoFar + rows.rowCount();
          return rows.rowCount() < batchSize ? Future.succeededFuture(total) : pruneFrom(cutoffMillis, total);
        });
  }
}
