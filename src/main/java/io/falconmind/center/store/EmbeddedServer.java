package io.falconmind.center.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The PostgreSQL server a node starts for itself when no external one is configured: a real
 * PostgreSQL 14 whose data directory is kept across restarts. Every method blocks (it runs
 * {@code initdb} and {@code pg_ctl}): call it from a worker thread, never from an event loop.
 */
final class EmbeddedServer {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);
  static final String USER = "postgres";
  static final String DATABASE = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts the server on a free port over {@code dataDirectory}, creating it on first use.
   *
   * @param durable fsync, synchronous commit and full page writes on, which the library turns off
   *                by default; without them a crash of the machine can lose acknowledged writes
   */
  static EmbeddedServer start(Path dataDirectory, boolean durable) throws IOException {
    Files.createDirectories(dataDirectory);
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(dataDirectory)
        .setCleanDataDirectory(false)
        .setPGStartupWait(Duration.ofSeconds(60));
    if (durable) {
      builder.setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on");
    }
    EmbeddedPostgres postgres = builder.start();
    LOG.info("embedded PostgreSQL running on port {} with data in {} (durable: {})", postgres.getPort(),
        dataDirectory, durable);
    return new EmbeddedServer(postgres);
  }

  int port() {
    return postgres.getPort();
  }

  /** Stops the server (fast shutdown); the data directory stays. */
  void stop() throws IOException {
    postgres.close();
    LOG.info("embedded PostgreSQL stopped");
  }
}
