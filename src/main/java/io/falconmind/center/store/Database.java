package io.falconmind.center.store;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.ControlSnapshot;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * The node's PostgreSQL: a connection pool over either the configured external server or an
 * embedded one started under {@code dataDir/postgres}, with the schema migrated to this build's
 * version. Opened once per node and shared by whoever needs the pool (the store verticle).
 *
 * <p>Thread-safe; the pool may be used from any context. Starting and stopping the embedded server
 * run on worker threads, never on an event loop. {@link #open} fails when the server cannot be
 * started or reached, when a durable embedded server does not report {@code fsync} and
 * {@code synchronous_commit} on, or when a migration fails; whatever it started is stopped again.
 */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final Vertx vertx;
  private final Pool pool;
  private final EmbeddedServer embedded;
  private Future<Void> closing;

  private Database(Vertx vertx, Pool pool, EmbeddedServer embedded) {
    this.vertx = vertx;
    this.pool = pool;
    this.embedded = embedded;
  }

  /**
   * Connects to {@code pg.url()}, or with no url starts the embedded server over
   * {@code dataDir/postgres} (created on first use, kept afterwards); then applies migrations.
   */
  public static Future<Database> open(Vertx vertx, CenterConfig.Postgres pg, CenterConfig.Store store,
                                      Path dataDir) {
    if (!pg.embedded()) {
      PgConnectOptions options;
      try {
        options = externalOptions(pg);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(new IllegalArgumentException("postgres.url: " + e.getMessage(), e));
      }
      return prepare(new Database(vertx, pool(vertx, options, pg.poolSize()), null), false);
    }
    Path directory = dataDir.resolve("postgres").toAbsolutePath();
    return vertx.executeBlocking(() -> EmbeddedServer.start(directory, store.durable()))
        .compose(server -> {
          PgConnectOptions options = new PgConnectOptions().setHost("127.0.0.1").setPort(server.port())
              .setDatabase(EmbeddedServer.DATABASE).setUser(EmbeddedServer.USER);
          return prepare(new Database(vertx, pool(vertx, tuned(options), pg.poolSize()), server),
              store.durable());
        });
  }

  private static Future<Database> prepare(Database db, boolean requireDurable) {
    return (requireDurable ? db.verifyDurable() : db.logDurability())
        .compose(v -> db.vertx.executeBlocking(Migrations::fromClasspath))
        .compose(migrations -> migrations.apply(db.pool))
        .map(applied -> db)
        .recover(failure -> db.close().transform(closed -> Future.failedFuture(failure)));
  }

  private static PgConnectOptions externalOptions(CenterConfig.Postgres pg) {
    String url = pg.url().startsWith("jdbc:") ? pg.url().substring(5) : pg.url();
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    if (!pg.user().isEmpty()) options.setUser(pg.user());
    if (!pg.password().isEmpty()) options.setPassword(pg.password());
    return tuned(options);
  }

  private static PgConnectOptions tuned(PgConnectOptions options) {
    return options.setPipeliningLimit(256).setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(64);
  }

  private static Pool pool(Vertx vertx, PgConnectOptions options, int size) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(size)).connectingTo(options).using(vertx).build();
  }

  private Future<Void> verifyDurable() {
    return Future.all(setting("fsync"), setting("synchronous_commit"), setting("full_page_writes"))
        .compose(all -> {
          for (int i = 0; i < all.size(); i++) {
            if (!"on".equals(all.resultAt(i))) {
              return Future.failedFuture(new IllegalStateException(
                  "embedded PostgreSQL is not durable: fsync=" + all.resultAt(0) + " synchronous_commit="
                      + all.resultAt(1) + " full_page_writes=" + all.resultAt(2)));
            }
          }
          return Future.succeededFuture();
        });
  }

  private Future<Void> logDurability() {
    return Future.all(setting("fsync"), setting("synchronous_commit"))
        .onSuccess(all -> LOG.info("PostgreSQL fsync={} synchronous_commit={}", all.resultAt(0), all.resultAt(1)))
        .mapEmpty();
  }

  /** The connection pool; callers must not close it. */
  public Pool pool() {
    return pool;
  }

  /** Whether this node started the server itself. */
  public boolean embedded() {
    return embedded != null;
  }

  /** The value of a server setting as {@code SHOW} prints it, e.g. {@code fsync -> on}. */
  public Future<String> setting(String name) {
    return pool.preparedQuery("SELECT current_setting($1)").execute(Tuple.of(name))
        .map(rows -> rows.iterator().next().getString(0));
  }

  /**
   * What a new Raft group starts from after a full restart, read in one consistent transaction:
   * index 0; seq = the last persisted seq (0 on an empty database); every device, OFFLINE on no
   * node (connection state is not durable; {@code ControlState.restore} recomputes their load);
   * every unfinished mission plus those finished within {@code retainFinishedSec} of
   * {@code nowMillis}; the idempotency keys of missions created within
   * {@code idempotencyRetentionSec}. Fails when the database is unreachable; the caller retries.
   */
  public Future<ControlSnapshot> loadSnapshot(long nowMillis, CenterConfig.Missions missions) {
    return new SnapshotLoader(pool).load(nowMillis, missions);
  }

  /** Closes the pool, then stops the embedded server if this node started one. Idempotent. */
  public synchronized Future<Void> close() {
    if (closing == null) {
      closing = pool.close()
          .recover(t -> {
            LOG.warn("closing the PostgreSQL pool failed", t);
            return Future.succeededFuture();
          })
          .compose(v -> embedded == null ? Future.<Void>succeededFuture()
              : vertx.executeBlocking(() -> {
                embedded.stop();
                return null;
              }));
    }
    return closing;
  }
}
