package io.falconmind.center.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Versioned schema migrations: SQL files {@code db/migration/V<n>__<name>.sql} listed, in order, in
 * {@code db/migration/index.txt} on the classpath. Each pending version is applied in its own
 * transaction under a transaction-scoped advisory lock, and recorded in {@code schema_version};
 * versions already recorded are skipped. So several nodes may start against one database at once:
 * one applies each version, the others wait on the lock and then skip it.
 *
 * <p>{@link #fromClasspath()} blocks (it reads resources); {@link #apply(Pool)} does not. A failed
 * migration rolls back its own transaction and fails the returned future; earlier versions stay.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
  private static final String DIRECTORY = "db/migration/";
  private static final Pattern FILE_NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
  /** Advisory lock key shared by every node of every version: "fmcmigr" in ASCII. */
  static final long LOCK_KEY = 0x666d636d69677200L;

  /** One schema version. */
  public record Migration(int version, String file, String sql, String checksum) {
  }

  private final List<Migration> migrations;

  Migrations(List<Migration> migrations) {
    for (int i = 1; i < migrations.size(); i++) {
      if (migrations.get(i).version() <= migrations.get(i - 1).version()) {
        throw new IllegalArgumentException("migration versions must increase: " + migrations.get(i).file());
      }
    }
    this.migrations = List.copyOf(migrations);
  }

  /** Reads the migrations bundled with this build. Blocking. */
  public static Migrations fromClasspath() {
    List<Migration> out = new ArrayList<>();
    for (String line : read(DIRECTORY + "index.txt").split("\n")) {
      String file = line.strip();
      if (file.isEmpty() || file.startsWith("#")) continue;
      Matcher m = FILE_NAME.matcher(file);
      if (!m.matches()) throw new IllegalStateException("bad migration file name in index: " + file);
      String sql = read(DIRECTORY + file);
      out.add(new Migration(Integer.parseInt(m.group(1)), file, sql, sha256(sql)));
    }
    return new Migrations(out);
  }

  public List<Migration> migrations() {
    return migrations;
  }

  /** Applies every pending version in order; completes with how many this call applied. */
  public Future<Integer> apply(Pool pool) {
    Future<Integer> chain = Future.succeededFuture(0);
    for (Migration migration : migrations) {
      chain = chain.compose(count -> pool.withTransaction(conn -> applyOne(conn, migration))
          .map(applied -> applied ? count + 1 : count));
    }
    return chain;
  }

  private Future<Boolean> applyOne(SqlConnection conn, Migration migration) {
    return conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")").execute()
        .compose(v -> ensureVersionTable(conn))
        .compose(v -> conn.preparedQuery("SELECT checksum FROM schema_version WHERE version = $1")
            .execute(Tuple.of(migration.version())))
        .compose(rows -> {
          if (rows.size() > 0) {
            String recorded = rows.iterator().next().getString(0);
            if (!recorded.equals(migration.checksum())) {
              LOG.warn("migration {} changed after it was applied (checksum {} in the database, {} now)",
                  migration.file(), recorded, migration.checksum());
            }
            return Future.succeededFuture(false);
          }
          return conn.query(migration.sql()).execute()
              .compose(v -> conn.preparedQuery(
                      "INSERT INTO schema_version (version, file, checksum) VALUES ($1, $2, $3)")
                  .execute(Tuple.of(migration.version(), migration.file(), migration.checksum())))
              .map(v -> {
                LOG.info("applied schema migration {}", migration.file());
                return true;
              });
        });
  }

  /** Checked first rather than CREATE ... IF NOT EXISTS, which makes the server send a notice. */
  private static Future<Void> ensureVersionTable(SqlConnection conn) {
    return conn.query("SELECT to_regclass('schema_version') IS NOT NULL").execute().compose(rows ->
        rows.iterator().next().getBoolean(0) ? Future.succeededFuture()
            : conn.query("CREATE TABLE schema_version (version integer PRIMARY KEY, file text NOT NULL, "
                + "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())").execute().mapEmpty());
  }

  private static String read(String resource) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing resource " + resource);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
