package io.falconmind.center.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
    stopOrphan(dataDirectory);
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(dataDirectory)
        .setCleanDataDirectory(false)
        .setPGStartupWait(Duration.ofSeconds(60))
        // A write-heavy log of small transactions: room for the working set, WAL written in
        // larger pieces, and checkpoints (each followed by a burst of full-page writes) spread out.
        .setServerConfig("shared_buffers", "256MB")
        .setServerConfig("wal_buffers", "16MB")
        .setServerConfig("max_wal_size", "4GB")
        .setServerConfig("checkpoint_timeout", "15min")
        .setServerConfig("checkpoint_completion_target", "0.9");
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

  /**
   * The server is a separate process: when this node's JVM was killed, it kept running over the
   * data directory and would refuse a second one. Stop it (SIGTERM, a smart shutdown: its clients
   * are gone) before starting ours.
   */
  private static void stopOrphan(Path dataDirectory) throws IOException {
    Path pidFile = dataDirectory.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) return;
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
    } catch (RuntimeException e) {
      return; // unreadable: let PostgreSQL judge the stale file itself
    }
    Optional<ProcessHandle> orphan = ProcessHandle.of(pid)
        .filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false));
    if (orphan.isEmpty()) return;
    LOG.warn("a PostgreSQL server (pid {}) left by an earlier run still holds {}; stopping it", pid, dataDirectory);
    orphan.get().destroy();
    try {
      orphan.get().onExit().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping the orphaned PostgreSQL server " + pid, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("the orphaned PostgreSQL server " + pid + " did not stop; stop it by hand", e);
    }
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
