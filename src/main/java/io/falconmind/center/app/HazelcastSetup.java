package io.falconmind.center.app;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.spi.properties.ClusterProperty;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * How a clustered node joins the others: the Hazelcast configuration (membership, discovery,
 * failure detection) and the clustered event bus options, both built from {@link CenterConfig.Cluster}.
 *
 * <p>Failure detection is deliberately slow (heartbeat every second, a member silent for 15 s is
 * removed): the Raft layer detects a lost leader on its own, and a node frozen for a few seconds (GC,
 * SIGSTOP) must come back as the same member instead of being evicted and rejoining. Hazelcast's own
 * shutdown hook is off: the node's hook stops the verticles (the Raft member hands its leadership
 * over) before {@code vertx.close()} leaves the cluster.
 */
public final class HazelcastSetup {

  public static final String CLUSTER_NAME = "falconmind";
  static final int HEARTBEAT_INTERVAL_SEC = 1;
  static final int MAX_NO_HEARTBEAT_SEC = 15;
  static final int MERGE_DELAY_SEC = 5;
  static final int JOIN_WAIT_SEC = 1;
  static final int CONNECT_TIMEOUT_SEC = 2;
  static final int GRACEFUL_SHUTDOWN_MAX_WAIT_SEC = 15;

  private HazelcastSetup() {
  }

  /** A cluster manager over {@link #hazelcastConfig}; Vert.x starts Hazelcast when it joins. */
  public static ClusterManager clusterManager(CenterConfig.Cluster cluster) {
    return new HazelcastClusterManager(hazelcastConfig(cluster));
  }

  /**
   * Builds a clustered Vert.x from {@code builder} and {@code options} (their event bus options are
   * replaced by {@link #eventBusOptions}) over {@code clusterManager}, which must come from
   * {@link #clusterManager}. The future completes once this node is a member and its event bus
   * listens; it fails when Hazelcast cannot bind or the event bus cannot listen.
   */
  public static Future<Vertx> join(VertxBuilder builder, VertxOptions options, ClusterManager clusterManager,
                                   CenterConfig config, String nodeId) {
    options.setEventBusOptions(eventBusOptions(config.cluster(), nodeMetadata(nodeId, config)));
    return builder.with(options).withClusterManager(clusterManager).buildClustered();
  }

  /**
   * vertx-hazelcast's default configuration (the maps and multimap the clustered event bus needs,
   * or a {@code cluster.xml} an operator put on the class path), with our membership settings over it.
   */
  public static Config hazelcastConfig(CenterConfig.Cluster cluster) {
    Config config = ConfigUtil.loadConfig();
    if (config == null) throw new IllegalStateException("vertx-hazelcast's default cluster configuration is missing");
    config.setClusterName(CLUSTER_NAME);

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    // Also how long members starting together look for a master before one claims the role
    // (default 5 s); the DNS discovery joiner reads it from here too.
    join.getTcpIpConfig().setConnectionTimeoutSeconds(CONNECT_TIMEOUT_SEC);
    if (cluster.kubernetes()) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", cluster.kubernetesServiceDns())
          .setProperty("service-port", String.valueOf(cluster.port()));
    } else {
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    }

    // Bind to cluster.host only (not every interface) and advertise that address.
    config.setProperty("hazelcast.local.localAddress", cluster.host());
    config.setProperty(ClusterProperty.SOCKET_BIND_ANY.getName(), "false");

    config.setProperty(ClusterProperty.LOGGING_TYPE.getName(), "slf4j");
    config.setProperty(ClusterProperty.PHONE_HOME_ENABLED.getName(), "false");
    config.setProperty(ClusterProperty.SHUTDOWNHOOK_ENABLED.getName(), "false");
    config.setProperty(ClusterProperty.HEARTBEAT_INTERVAL_SECONDS.getName(), String.valueOf(HEARTBEAT_INTERVAL_SEC));
    config.setProperty(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getName(), String.valueOf(MAX_NO_HEARTBEAT_SEC));
    // A master batches join requests this long (default 5 s); nodes started together join in about
    // a second instead of 5 to 15.
    config.setProperty(ClusterProperty.WAIT_SECONDS_BEFORE_JOIN.getName(), String.valueOf(JOIN_WAIT_SEC));
    config.setProperty(ClusterProperty.MERGE_FIRST_RUN_DELAY_SECONDS.getName(), String.valueOf(MERGE_DELAY_SEC));
    config.setProperty(ClusterProperty.MERGE_NEXT_RUN_DELAY_SECONDS.getName(), String.valueOf(MERGE_DELAY_SEC));
    // Leaving waits for partition migration; the node's whole stop has 60 s.
    config.setProperty(ClusterProperty.GRACEFUL_SHUTDOWN_MAX_WAIT.getName(), String.valueOf(GRACEFUL_SHUTDOWN_MAX_WAIT_SEC));
    return config;
  }

  /**
   * The clustered event bus: bound to {@code eventBusHost:eventBusPort}, reached by the other nodes
   * at {@code publicHost:publicPort}, and carrying {@code metadata} in this node's cluster node info.
   */
  public static EventBusOptions eventBusOptions(CenterConfig.Cluster cluster, JsonObject metadata) {
    EventBusOptions options = new EventBusOptions()
        .setHost(cluster.eventBusHost())
        .setPort(cluster.eventBusPort())
        .setClusterPublicHost(cluster.publicHost())
        .setClusterNodeMetadata(metadata);
    if (cluster.publicPort() > 0) options.setClusterPublicPort(cluster.publicPort());
    return options;
  }

  /**
   * What the other nodes learn about this one from the cluster node info:
   * {@code {"nodeId": "...", "http": "host:port", "mqtt": port}}. The HTTP host is the configured
   * one unless that is a wildcard, then the address the other nodes reach this node's event bus at.
   */
  public static JsonObject nodeMetadata(String nodeId, CenterConfig config) {
    String httpHost = config.http().host();
    if (httpHost.isEmpty() || httpHost.equals("0.0.0.0") || httpHost.equals("::") || httpHost.equals("[::]")) {
      httpHost = config.cluster().publicHost();
    }
    if (httpHost.contains(":") && !httpHost.startsWith("[")) httpHost = "[" + httpHost + "]";
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("http", httpHost + ":" + config.http().port())
        .put("mqtt", config.mqtt().port());
  }
}
