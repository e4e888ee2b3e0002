package io.falconmind.center.app;

import io.falconmind.center.api.HttpVerticle;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.device.DeviceVerticle;
import io.falconmind.center.mission.MissionVerticle;
import io.falconmind.center.broker.Broker;
import io.falconmind.center.broker.BrokerAccess;
import io.falconmind.center.broker.BrokerMetrics;
import io.falconmind.center.mqtt.MqttVerticle;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.falconmind.center.raft.RaftVerticle;
import io.falconmind.center.store.Database;
import io.falconmind.center.store.StoreVerticle;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One control-center node: its Vert.x instance, database and verticles, started in dependency
 * order and stopped in reverse (stop accepting, finish pending writes, stop PostgreSQL). Used by
 * the entry point and by tests that run nodes in one JVM.
 */
public final class Node {

  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final CenterConfig config;
  private final NodeIdentity identity;
  private final Vertx vertx;
  private final ClusterManager clusterManager;
  private Broker broker;
  private final PrometheusMeterRegistry registry;
  private final Deque<String> deployments = new ArrayDeque<>();
  private final DataDirLock lock;
  private Database database;

  private Node(CenterConfig config, DataDirLock lock, NodeIdentity identity, Vertx vertx,
               ClusterManager clusterManager, PrometheusMeterRegistry registry) {
    this.config = config;
    this.lock = lock;
    this.identity = identity;
    this.vertx = vertx;
    this.clusterManager = clusterManager;
    this.registry = registry;
  }

  /**
   * Starts a node. Locks its data directory (a {@link ConfigException} when another running node
   * holds it) and reads or creates the node's identity there (blocking file I/O: call from a thread
   * that may block, never from an event loop). With {@code cluster.enabled} Vert.x is clustered
   * (Hazelcast, see {@link HazelcastSetup}) and the future completes only once this node is a member.
   * The future fails when any part cannot start; the node is then stopped again.
   */
  public static Future<Node> start(CenterConfig config) {
    DataDirLock lock = DataDirLock.acquire(config.node().dataDir());
    NodeIdentity identity;
    try {
      identity = NodeIdentity.resolve(config.node(), config.auth());
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions options = new VertxOptions()
        .setPreferNativeTransport(config.node().nativeTransport())
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    VertxBuilder builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(registry));
    if (!config.cluster().enabled()) {
      Node node = new Node(config, lock, identity, builder.with(options).build(), null, registry);
      return node.deployAndStart();
    }
    ClusterManager clusterManager = HazelcastSetup.clusterManager(config.cluster());
    log.info("node {} joining the cluster as {}:{} ({} discovery)", identity.nodeId(), config.cluster().host(),
        config.cluster().port(), config.cluster().discovery());
    return HazelcastSetup.join(builder, options, clusterManager, config, identity.nodeId())
        .recover(e -> {
          registry.close();
          lock.close();
          return Future.failedFuture(e);
        })
        .compose(vertx -> {
          log.info("node {} is a cluster member; {} member(s) now", identity.nodeId(), clusterManager.getNodes().size());
          return new Node(config, lock, identity, vertx, clusterManager, registry).deployAndStart();
        });
  }

  private Future<Node> deployAndStart() {
    return deployAll()
        .map(this)
        .recover(e -> stop().transform(x -> Future.<Node>failedFuture(e)));
  }

  private Future<Void> deployAll() {
    ControlClient.registerCodecs(vertx);
    return Database.open(vertx, config.postgres(), config.store(), config.node().dataDir())
        .compose(db -> {
          database = db;
          return db.loadSnapshot(System.currentTimeMillis(), config.missions());
        })
        .compose(this::deployControlPlane)
        .compose(v -> deploy(() -> new MissionVerticle(config.missions(), config.scheduler()), 1))
        .compose(v -> deploy(() -> new DeviceVerticle(identity.nodeId(), config.mqtt(), registry), 1))
        .compose(v -> {
          broker = new Broker(vertx, config.broker(),
              new BrokerAccess(config.broker().allowAnonymous(), config.broker().users(), config.broker().acl()));
          broker.start();
          BrokerMetrics.register(broker, registry);
          Future<Void> joined = clusterManager instanceof HazelcastClusterManager hz
              ? broker.joinCluster(hz.getHazelcastInstance(), identity.nodeId()) : Future.succeededFuture();
          return joined.compose(x -> deploy(() -> new MqttVerticle(identity.nodeId(), config.mqtt(), broker, registry), mqttInstances()));
        })
        .compose(v -> deploy(() -> new HttpVerticle(identity.nodeId(), config, identity.adminToken(), registry), 1))
        .onSuccess(v -> log.info("node {} started ({} transport)", identity.nodeId(),
            vertx.isNativeTransportEnabled() ? "native epoll" : "Java NIO"));
  }

  private Future<Void> deployControlPlane(ControlSnapshot snapshot) {
    io.vertx.core.json.JsonObject contact = new io.vertx.core.json.JsonObject()
        .put("http", config.http().host() + ":" + config.http().port()).put("mqtt", config.mqtt().port());
    CenterConfig.Cluster c = config.cluster();
    io.falconmind.center.raft.Clustering clustering = c.enabled()
        ? new io.falconmind.center.raft.Clustering(true, config.raft().voters(), config.raft().learners(),
            c.bootstrapExpect(), c.voterGraceSec(), config.mqtt().offlineGraceSec(), contact)
        : io.falconmind.center.raft.Clustering.standalone(contact);
    return deploy(() -> new StoreVerticle(database, config.store(), config.missions(), clustering.enabled()), 1)
        .compose(v -> deploy(() -> new RaftVerticle(identity.nodeId(), config.raft(), clustering,
            config.missions().policy(), snapshot), 1));
  }

  private int mqttInstances() {
    int n = config.mqtt().instances();
    return n > 0 ? n : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  private Future<Void> deploy(java.util.function.Supplier<io.vertx.core.Deployable> verticle, int instances) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setInstances(instances))
        .onSuccess(deployments::push)
        .mapEmpty();
  }

  /**
   * Undeploys the verticles newest first, closes the database, then Vert.x (which leaves the
   * Hazelcast cluster when clustered). Never fails.
   */
  public Future<Void> stop() {
    Future<Void> chain = Future.succeededFuture();
    while (!deployments.isEmpty()) {
      String id = deployments.pop();
      chain = chain.compose(v -> vertx.undeploy(id).recover(e -> {
        log.warn("stopping {} failed: {}", id, e.getMessage());
        return Future.succeededFuture();
      }));
    }
    return chain
        .onComplete(v -> {
          if (broker != null) broker.stop();
        })
        .compose(v -> database == null ? Future.<Void>succeededFuture() : database.close().otherwiseEmpty())
        .compose(v -> vertx.close().otherwiseEmpty())
        .onComplete(v -> {
          registry.close();
          lock.close();
        });
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * The Hazelcast-backed cluster manager: membership ({@code getNodes()}) and each member's node
   * info, whose metadata is {@link HazelcastSetup#nodeMetadata}. Null on a standalone node.
   */
  public ClusterManager clusterManager() {
    return clusterManager;
  }

  public String nodeId() {
    return identity.nodeId();
  }

  public String adminToken() {
    return identity.adminToken();
  }

  /** Whether this start generated the admin token (it is then printed once). */
  public boolean adminTokenGenerated() {
    return identity.tokenGenerated();
  }

  public CenterConfig config() {
    return config;
  }
}
