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
 * The PostgreSQL server a node starts for itself when no external one is configured, or that the
 * {@code postgres} command runs for several nodes to share: a real PostgreSQL 14 whose data directory
 * is kept across restarts. It trusts the superuser {@code postgres} without a password on local
 * connections (Unix socket, 127.0.0.1 and ::1) and on no others. Every method blocks (it runs
 * {@code initdb} and {@code pg_ctl}): call it from a thread that may block, never from an event loop.
 */
public final class EmbeddedServer {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);
  public static final String USER = "postgres";
  public static final String DATABASE = "postgres";

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
    return start(tuned(dataDirectory, durable), dataDirectory, durable);
  }

  /**
   * Starts the durable server over {@code dataDirectory} (created on first use) listening on
   * {@code host:port}, for nodes that share it. Loopback is always listened on too (the start-up
   * check connects there). The caller stops it with {@link #stop()}; no shutdown hook of the
   * library's races with the caller's own.
   *
   * @throws IOException when the server cannot start, e.g. the port is taken
   */
  public static EmbeddedServer serve(Path dataDirectory, String host, int port) throws IOException {
    boolean loopback = host.equals("localhost") || host.equals("127.0.0.1") || host.equals("::1");
    boolean everywhere = host.equals("*") || host.equals("0.0.0.0") || host.equals("::");
    EmbeddedPostgres.Builder builder = tuned(dataDirectory, true)
        .setPort(port)
        .setServerConfig("listen_addresses", loopback ? host : everywhere ? "*" : "localhost," + host)
        .setRegisterShutdownHook(false);
    return start(builder, dataDirectory, true);
  }

  private static EmbeddedServer start(EmbeddedPostgres.Builder builder, Path dataDirectory, boolean durable)
      throws IOException {
    Files.createDirectories(dataDirectory);
    stopOrphan(dataDirectory);
    EmbeddedPostgres postgres = builder.start();
    LOG.info("embedded PostgreSQL running on port {} with data in {} (durable: {})", postgres.getPort(),
        dataDirectory, durable);
    return new EmbeddedServer(postgres);
  }

  private static EmbeddedPostgres.Builder tuned(Path dataDirectory, boolean durable) {
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
    return builder;
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

  public int port() {
    return postgres.getPort();
  }

  /** Stops the server (fast shutdown); the data directory stays. Idempotent. */
  public void stop() throws IOException {
    postgres.close();
    LOG.info("embedded PostgreSQL stopped");
  }
}
