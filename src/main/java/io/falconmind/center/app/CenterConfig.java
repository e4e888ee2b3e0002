package io.falconmind.center.app;

import io.falconmind.center.control.ControlPolicy;

import java.net.URI;
import java.nio.file.Path;

/** The whole node configuration as typed, validated records; each part gets only its own. */
public record CenterConfig(Node node, Http http, Mqtt mqtt, Grpc grpc, Postgres postgres, Auth auth,
                           Raft raft, Missions missions, Scheduler scheduler, Store store, Feed feed) {

  public record Node(String id, Path dataDir) {
  }

  public record Http(String host, int port, int maxBodyBytes) {
  }

  /**
   * @param maxMessageBytes largest accepted application payload; larger ones are refused with an
   *                        error on {@code devices/{id}/errors} and change nothing
   * @param maxPacketBytes  largest MQTT packet the decoder accepts; a larger one closes the connection
   */
  public record Mqtt(String host, int port, int instances, int maxMessageBytes, int offlineGraceSec,
                     int connectTimeoutSec, int maxPacketBytes) {

    /** Without {@code maxPacketBytes}: four times {@code maxMessageBytes}. */
    public Mqtt(String host, int port, int instances, int maxMessageBytes, int offlineGraceSec,
                int connectTimeoutSec) {
      this(host, port, instances, maxMessageBytes, offlineGraceSec, connectTimeoutSec,
          (int) Math.min(Integer.MAX_VALUE, 4L * maxMessageBytes));
    }
  }

  public record Grpc(int port) {
  }

  /** @param url empty when the embedded PostgreSQL is used */
  public record Postgres(String url, String user, String password, int poolSize) {
    public boolean embedded() {
      return url.isEmpty();
    }
  }

  public record Auth(String adminToken) {
  }

  public record Raft(int electionTimeoutMs, int heartbeatPeriodSec, int heartbeatTimeoutSec,
                     int maxPendingEntries, int snapshotEveryEntries) {
  }

  public record Missions(int defaultTimeoutSec, int defaultMaxAttempts, long backoffBaseMs,
                         long backoffMaxMs, int retainFinishedSec, int idempotencyRetentionSec,
                         int maxBatch) {
    public ControlPolicy policy() {
      return new ControlPolicy(backoffBaseMs, backoffMaxMs);
    }
  }

  public record Scheduler(String strategy, int tickMs) {
  }

  /** @param eventRetentionHours events older than this are pruned from the events table */
  public record Store(int batchMaxEvents, boolean durable, int eventRetentionHours) {
    public static final int DEFAULT_EVENT_RETENTION_HOURS = 24;

    public Store(int batchMaxEvents, boolean durable) {
      this(batchMaxEvents, durable, DEFAULT_EVENT_RETENTION_HOURS);
    }
  }

  /**
   * @param bufferEvents       recent persisted events kept in memory for feed resumption
   * @param sessionQueueEvents events one feed client may have waiting before it is closed as too slow
   */
  public record Feed(int bufferEvents, int sessionQueueEvents) {
  }

  private static final int MAX_PORT = 65535;

  public static CenterConfig from(Settings s) {
    String url = s.string("postgres.url");
    if (!url.isEmpty()) {
      try {
        URI uri = URI.create(url.startsWith("jdbc:") ? url.substring(5) : url);
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
          throw new IllegalArgumentException();
        }
      } catch (IllegalArgumentException e) {
        throw new ConfigException("postgres.url: must look like postgresql://host:5432/database, got '" + url + "'");
      }
    }
    String dataDir = s.string("node.dataDir");
    if (dataDir.isEmpty()) throw new ConfigException("node.dataDir: must not be empty");
    String nodeId = s.string("node.id");
    if (!nodeId.isEmpty() && !nodeId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
      throw new ConfigException("node.id: letters, digits, '_', '.', '-' only (at most 64), got '" + nodeId + "'");
    }
    Missions missions = new Missions(
        s.integer("missions.defaultTimeoutSec", 1, 7 * 86400),
        s.integer("missions.defaultMaxAttempts", 1, 100),
        s.longValue("missions.backoffBaseMs", 0, 3_600_000),
        s.longValue("missions.backoffMaxMs", 0, 86_400_000),
        s.integer("missions.retainFinishedSec", 1, 7 * 86400),
        s.integer("missions.idempotencyRetentionSec", 1, 30 * 86400),
        s.integer("missions.maxBatch", 1, 100_000));
    if (missions.backoffMaxMs() < missions.backoffBaseMs()) {
      throw new ConfigException("missions.backoffMaxMs: must be at least missions.backoffBaseMs");
    }
    Raft raft = new Raft(
        s.integer("raft.electionTimeoutMs", 50, 60_000),
        s.integer("raft.heartbeatPeriodSec", 1, 60),
        s.integer("raft.heartbeatTimeoutSec", 1, 600),
        s.integer("raft.maxPendingEntries", 10, 1_000_000),
        s.integer("raft.snapshotEveryEntries", 100, 10_000_000));
    if (raft.heartbeatTimeoutSec() < raft.heartbeatPeriodSec()) {
      throw new ConfigException("raft.heartbeatTimeoutSec: must be at least raft.heartbeatPeriodSec");
    }
    Mqtt mqtt = new Mqtt(s.string("mqtt.host"), s.integer("mqtt.port", 0, MAX_PORT),
        s.integer("mqtt.instances", 0, 256), s.integer("mqtt.maxMessageBytes", 256, 256 * 1024 * 1024),
        s.integer("mqtt.offlineGraceSec", 0, 86400), s.integer("mqtt.connectTimeoutSec", 1, 3600),
        s.integer("mqtt.maxPacketBytes", 256, 256 * 1024 * 1024));
    if (mqtt.maxPacketBytes() < mqtt.maxMessageBytes()) {
      throw new ConfigException("mqtt.maxPacketBytes: must be at least mqtt.maxMessageBytes");
    }
    return new CenterConfig(
        new Node(nodeId, Path.of(dataDir)),
        new Http(s.string("http.host"), s.integer("http.port", 0, MAX_PORT),
            s.integer("http.maxBodyBytes", 1024, 64 * 1024 * 1024)),
        mqtt,
        new Grpc(s.integer("grpc.port", 0, MAX_PORT)),
        new Postgres(url, s.string("postgres.user"), s.string("postgres.password"),
            s.integer("postgres.poolSize", 1, 256)),
        new Auth(s.string("auth.adminToken")),
        raft, missions,
        new Scheduler(s.oneOf("scheduler.strategy", "balanced", "battery", "nearest"),
            s.integer("scheduler.tickMs", 1, 60_000)),
        new Store(s.integer("store.batchMaxEvents", 1, 100_000), s.bool("store.durable"),
            s.integer("store.eventRetentionHours", 1, 24 * 366)),
        new Feed(s.integer("feed.bufferEvents", 0, 10_000_000),
            s.integer("feed.sessionQueueEvents", 16, 10_000_000)));
  }
}
