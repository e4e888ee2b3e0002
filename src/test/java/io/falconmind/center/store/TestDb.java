package io.falconmind.center.store;

import io.falconmind.center.app.CenterConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Small helpers for tests against the embedded PostgreSQL. */
final class TestDb {
  private TestDb() {
  }

  static final CenterConfig.Postgres EMBEDDED = new CenterConfig.Postgres("", "", "", 4);

  static Database open(Vertx vertx, Path dataDir, boolean durable) {
    return await(Database.open(vertx, EMBEDDED, new CenterConfig.Store(4000, durable), dataDir));
  }

  /** Waits for a future from a test thread (never an event loop), with a deadline. */
  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("future failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Throwable awaitFailure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  static Row one(Database db, String sql) {
    return await(db.pool().query(sql).execute()).iterator().next();
  }

  static long count(Database db, String table) {
    return one(db, "SELECT count(*) FROM " + table).getLong(0);
  }

  /** Empties the tables between tests that share one database. */
  static void reset(Database db) {
    await(db.pool().query("TRUNCATE missions, devices, events; UPDATE control_meta SET last_seq = 0").execute());
  }
}
