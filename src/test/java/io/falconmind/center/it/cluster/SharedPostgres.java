package io.falconmind.center.it.cluster;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The one PostgreSQL every node of a test cluster shares, run by this JVM (the embedded server the
 * nodes use themselves), so it keeps running while node processes are killed. Its data directory
 * is fresh on every start.
 */
public final class SharedPostgres implements AutoCloseable {

  private final EmbeddedPostgres postgres;

  private SharedPostgres(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts a server on a free loopback port over {@code dataDir}. Blocks for a few seconds (initdb). */
  public static SharedPostgres start(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
      EmbeddedPostgres pg = EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(true)
          .setPGStartupWait(Duration.ofSeconds(60))
          .setServerConfig("max_connections", "200")
          .setServerConfig("shared_buffers", "128MB")
          .setServerConfig("max_wal_size", "2GB")
          .start();
      return new SharedPostgres(pg);
    } catch (IOException e) {
      throw new IllegalStateException("shared PostgreSQL did not start", e);
    }
  }

  public int port() {
    return postgres.getPort();
  }

  /** {@code postgres.url} for the nodes. */
  public String url() {
    return "postgresql://127.0.0.1:" + port() + "/postgres";
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
