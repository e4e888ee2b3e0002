package io.falconmind.center.app;

import io.falconmind.center.control.ControlPolicy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The whole node configuration as typed, validated records; each part gets only its own.
 *
 * <p>Values are the effective ones: every port already includes {@code node.portOffset}, and the
 * cluster addresses left empty in the configuration are filled with what they default to.
 */
public record CenterConfig(Node node, Http http, Mqtt mqtt, Broker broker, Grpc grpc, Postgres postgres, Auth auth,
                           Raft raft, Cluster cluster, Missions missions, Scheduler scheduler, Store store,
                           Feed feed) {

  /**
   * @param portOffset      added (already) to the HTTP, MQTT, gRPC, Hazelcast and event bus ports of
   *                        this configuration; kept for display
   * @param nativeTransport network I/O through Linux epoll where the platform has it (else Java NIO)
   */
  public record Node(String id, Path dataDir, int portOffset, boolean nativeTransport) {
  }

  public record Http(String host, int port, int maxBodyBytes) {
  }

  /**
   * @param maxMessageBytes largest accepted application payload; larger ones are refused with an
   *                        error on {@code devices/{id}/errors} and change nothing
   * @param maxPacketBytes  largest MQTT packet the decoder accepts; a larger one closes the connection
   */
  /**
   * @param tlsPort     port of the MQTT-over-TLS listener (plus the node's offset); 0 = none
   * @param tlsCertPath PEM certificate chain of that listener
   * @param tlsKeyPath  PEM private key of that listener
   */
  public record Mqtt(String host, int port, int instances, int maxMessageBytes, int offlineGraceSec,
                     int connectTimeoutSec, int maxPacketBytes, int tlsPort, String tlsCertPath, String tlsKeyPath) {

    /** Without {@code maxPacketBytes} (four times {@code maxMessageBytes}) and without TLS. */
    public Mqtt(String host, int port, int instances, int maxMessageBytes, int offlineGraceSec,
                int connectTimeoutSec) {
      this(host, port, instances, maxMessageBytes, offlineGraceSec, connectTimeoutSec,
          (int) Math.min(Integer.MAX_VALUE, 4L * maxMessageBytes), 0, "", "");
    }
  }

  /**
   * The MQTT broker for clients other than devices (keys under {@code mqtt.}).
   *
   * @param allowAnonymous     whether a client without username may connect
   * @param users              {@code name:hash} entries ({@code hash-password} makes the hash)
   * @param acl                {@code WHO ACCESS PATTERN} rules; empty for the defaults
   * @param maxConnections     MQTT connections one node accepts (devices included)
   * @param maxInflight        unacknowledged QoS 1/2 messages per direction per client
   * @param maxQueuedMessages  messages waiting per session; more are dropped, but for a connected
   *                           client QoS 1/2 up to twice as many wait, their publishers held back
   * @param maxPublishRate     PUBLISH packets per second one client may send; 0 = no limit
   * @param maxPendingBytes    bytes waiting to go out to a client beyond which QoS 0 messages for it are dropped
   * @param maxSessionExpirySec longest time a session outlives its connection
   * @param serverKeepAliveSec keep-alive the server imposes on MQTT 5 clients asking for more; 0 = theirs
   * @param topicAliasMaximum  topic aliases an MQTT 5 client may use toward the server
   * @param sharedStrategy     how a shared subscription picks its member
   * @param sysIntervalSec     period of the {@code $SYS/broker/...} topics; 0 = none
   */
  public record Broker(boolean allowAnonymous, List<String> users, List<String> acl, int maxConnections,
                       int maxInflight, int maxQueuedMessages, int maxPublishRate, long maxPendingBytes,
                       long maxSessionExpirySec,
                       int serverKeepAliveSec, int topicAliasMaximum,
                       io.falconmind.center.broker.SubscriptionTree.SharedStrategy sharedStrategy, int sysIntervalSec) {
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

  /**
   * @param voters   voting members of the group: 1, 3 or 5; always 1 on a standalone node
   * @param learners non-voting warm standbys, 0 to 2; always 0 on a standalone node
   */
  public record Raft(int electionTimeoutMs, int heartbeatPeriodSec, int heartbeatTimeoutSec,
                     int maxPendingEntries, int snapshotEveryEntries, int voters, int learners) {
  }

  /**
   * How this node joins the others (Hazelcast membership and the clustered event bus). Ignored
   * when {@code enabled} is false: the node then runs alone without Hazelcast.
   *
   * @param discovery            {@code static} (contact {@code members}) or {@code kubernetes}
   *                             (DNS lookup of {@code kubernetesServiceDns})
   * @param members              static discovery: {@code host:port} of Hazelcast members to contact;
   *                             never empty (the configured empty list becomes 127.0.0.1:5701..5703)
   * @param host                 the address Hazelcast binds to and advertises; never a wildcard
   * @param port                 Hazelcast port, offset applied
   * @param eventBusHost         event bus bind address ({@code cluster.host} when not configured)
   * @param eventBusPort         event bus port, offset applied; 0 = any free port
   * @param publicHost           event bus address other nodes use ({@code eventBusHost} when not
   *                             configured); never a wildcard
   * @param publicPort           event bus port other nodes use; 0 = the bound port
   * @param bootstrapExpect      nodes that must be present before a new Raft group forms
   * @param voterGraceSec        a voter absent from the membership this long is replaced
   */
  public record Cluster(boolean enabled, String discovery, List<String> members, String kubernetesServiceDns,
                        String host, int port, String eventBusHost, int eventBusPort, String publicHost,
                        int publicPort, int bootstrapExpect, int voterGraceSec) {
    public static final String STATIC = "static";
    public static final String KUBERNETES = "kubernetes";
    public static final List<String> DEFAULT_MEMBERS = List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");

    public Cluster {
      members = List.copyOf(members);
    }

    public boolean kubernetes() {
      return KUBERNETES.equals(discovery);
    }
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
  private static final Set<String> WILDCARD_HOSTS = Set.of("0.0.0.0", "::", "[::]", "*");

  /** Builds the effective configuration; a {@link ConfigException} names the first bad key. */
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
    int portOffset = s.integer("node.portOffset", 0, 10_000);
    Cluster cluster = cluster(s, portOffset);
    int voters = s.integer("raft.voters", 1, 5);
    if (voters % 2 == 0) throw new ConfigException("raft.voters: must be 1, 3 or 5, got '" + voters + "'");
    int learners = s.integer("raft.learners", 0, 2);
    Raft raft = new Raft(
        s.integer("raft.electionTimeoutMs", 50, 60_000),
        s.integer("raft.heartbeatPeriodSec", 1, 60),
        s.integer("raft.heartbeatTimeoutSec", 1, 600),
        s.integer("raft.maxPendingEntries", 10, 1_000_000),
        s.integer("raft.snapshotEveryEntries", 100, 10_000_000),
        cluster.enabled() ? voters : 1,
        cluster.enabled() ? learners : 0);
    if (raft.heartbeatTimeoutSec() < raft.heartbeatPeriodSec()) {
      throw new ConfigException("raft.heartbeatTimeoutSec: must be at least raft.heartbeatPeriodSec");
    }
    Mqtt mqtt = new Mqtt(s.string("mqtt.host"), offsetPort(s, "mqtt.port", portOffset),
        s.integer("mqtt.instances", 0, 256), s.integer("mqtt.maxMessageBytes", 256, 256 * 1024 * 1024),
        s.integer("mqtt.offlineGraceSec", 0, 86400), s.integer("mqtt.connectTimeoutSec", 1, 3600),
        s.integer("mqtt.maxPacketBytes", 256, 256 * 1024 * 1024), offsetPort(s, "mqtt.tlsPort", portOffset),
        s.string("mqtt.tlsCertPath"), s.string("mqtt.tlsKeyPath"));
    if (mqtt.tlsPort() > 0 && (mqtt.tlsCertPath().isEmpty() || mqtt.tlsKeyPath().isEmpty())) {
      throw new ConfigException("mqtt.tlsPort: needs mqtt.tlsCertPath and mqtt.tlsKeyPath (PEM files)");
    }
    if (mqtt.maxPacketBytes() < mqtt.maxMessageBytes()) {
      throw new ConfigException("mqtt.maxPacketBytes: must be at least mqtt.maxMessageBytes");
    }
    Broker broker = new Broker(s.bool("mqtt.allowAnonymous"), s.list("mqtt.users"), s.list("mqtt.acl"),
        s.integer("mqtt.maxConnections", 1, 10_000_000), s.integer("mqtt.maxInflight", 1, 65535),
        s.integer("mqtt.maxQueuedMessages", 1, 10_000_000), s.integer("mqtt.maxPublishRate", 0, 10_000_000),
        s.longValue("mqtt.maxPendingBytes", 65_536, 1L << 40),
        s.longValue("mqtt.maxSessionExpirySec", 0, 0xFFFFFFFEL), s.integer("mqtt.serverKeepAliveSec", 0, 65535),
        s.integer("mqtt.topicAliasMaximum", 0, 65535),
        io.falconmind.center.broker.SubscriptionTree.SharedStrategy.valueOf(
            s.oneOf("mqtt.sharedSubscriptionStrategy", "round-robin", "random", "sticky")
                .toUpperCase(java.util.Locale.ROOT).replace('-', '_')),
        s.integer("mqtt.sysIntervalSec", 0, 86400));
    try {
      new io.falconmind.center.broker.BrokerAccess(broker.allowAnonymous(), broker.users(), broker.acl());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return new CenterConfig(
        new Node(nodeId, Path.of(dataDir), portOffset, s.bool("node.nativeTransport")),
        new Http(s.string("http.host"), offsetPort(s, "http.port", portOffset),
            s.integer("http.maxBodyBytes", 1024, 64 * 1024 * 1024)),
        mqtt, broker,
        new Grpc(offsetPort(s, "grpc.port", portOffset)),
        new Postgres(url, s.string("postgres.user"), s.string("postgres.password"),
            s.integer("postgres.poolSize", 1, 256)),
        new Auth(s.string("auth.adminToken")),
        raft, cluster, missions,
        new Scheduler(s.oneOf("scheduler.strategy", "balanced", "battery", "nearest"),
            s.integer("scheduler.tickMs", 1, 60_000)),
        new Store(s.integer("store.batchMaxEvents", 1, 100_000), s.bool("store.durable"),
            s.integer("store.eventRetentionHours", 1, 24 * 366)),
        new Feed(s.integer("feed.bufferEvents", 0, 10_000_000),
            s.integer("feed.sessionQueueEvents", 16, 10_000_000)));
  }

  private static Cluster cluster(Settings s, int portOffset) {
    boolean enabled = s.bool("cluster.enabled");
    String discovery = s.oneOf("cluster.discovery", Cluster.STATIC, Cluster.KUBERNETES);
    List<String> members = s.list("cluster.members");
    for (String member : members) {
      if (!isHostAndPort(member)) {
        throw new ConfigException("cluster.members: each member must be host:port, got '" + member + "'");
      }
    }
    String serviceDns = s.string("cluster.kubernetesServiceDns");
    if (discovery.equals(Cluster.KUBERNETES) && serviceDns.isEmpty()) {
      throw new ConfigException("cluster.kubernetesServiceDns: must name the headless service when "
          + "cluster.discovery is kubernetes");
    }
    String host = s.string("cluster.host");
    if (host.isEmpty() || WILDCARD_HOSTS.contains(host)) {
      throw new ConfigException("cluster.host: must be an address of this machine that other nodes reach "
          + "(a wildcard cannot be advertised), got '" + host + "'");
    }
    int port = offsetPort(s, "cluster.port", portOffset);
    if (port == 0) throw new ConfigException("cluster.port: must be from 1 to " + MAX_PORT + ", got '0'");
    String eventBusHost = s.string("cluster.eventBusHost").isEmpty() ? host : s.string("cluster.eventBusHost");
    String publicHost = s.string("cluster.publicHost").isEmpty() ? eventBusHost : s.string("cluster.publicHost");
    if (WILDCARD_HOSTS.contains(publicHost)) {
      throw new ConfigException("cluster.publicHost: must be the address other nodes reach this node's event "
          + "bus at when cluster.eventBusHost is a wildcard, got '" + publicHost + "'");
    }
    return new Cluster(enabled, discovery, members.isEmpty() ? Cluster.DEFAULT_MEMBERS : members, serviceDns,
        host, port, eventBusHost, offsetPort(s, "cluster.eventBusPort", portOffset), publicHost,
        s.integer("cluster.publicPort", 0, MAX_PORT), s.integer("cluster.bootstrapExpect", 1, 1000),
        s.integer("cluster.voterGraceSec", 1, 86_400));
  }

  /** The port set under {@code key} plus the node's offset; 0 (any free port) stays 0. */
  private static int offsetPort(Settings s, String key, int portOffset) {
    int port = s.integer(key, 0, MAX_PORT);
    if (port == 0) return 0;
    if (port + portOffset > MAX_PORT) {
      throw new ConfigException(key + ": " + port + " plus node.portOffset " + portOffset + " is above " + MAX_PORT);
    }
    return port + portOffset;
  }

  private static boolean isHostAndPort(String member) {
    int colon = member.lastIndexOf(':');
    if (colon <= 0 || colon == member.length() - 1) return false;
    String host = member.substring(0, colon);
    if (host.startsWith("[") != host.endsWith("]")) return false;
    try {
      int port = Integer.parseInt(member.substring(colon + 1));
      return port >= 1 && port <= MAX_PORT && !host.isBlank() && (host.startsWith("[") || !host.contains(":"));
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
