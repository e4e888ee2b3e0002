package io.falconmind.center.it;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.app.HazelcastSetup;
import io.falconmind.center.app.Settings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two clustered Vert.x instances in this JVM, built exactly as a clustered node builds its own
 * ({@link HazelcastSetup}) on loopback with their own Hazelcast ports: they find each other through
 * the static member list, see each other's node metadata, and exchange event-bus messages.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterMembershipIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private final List<Vertx> started = new ArrayList<>();

  private record Member(Vertx vertx, ClusterManager clusterManager) {
  }

  private static CenterConfig config(String nodeId, int hazelcastPort, int offset, String members) {
    return CenterConfig.from(Settings.load(null, Map.of(), Map.of(
        "node.id", nodeId,
        "node.portOffset", String.valueOf(offset),
        "http.host", "127.0.0.1",
        "cluster.enabled", "true",
        "cluster.host", "127.0.0.1",
        "cluster.port", String.valueOf(hazelcastPort),
        "cluster.members", members)));
  }

  private Future<Member> join(CenterConfig config) {
    ClusterManager clusterManager = HazelcastSetup.clusterManager(config.cluster());
    return HazelcastSetup.join(Vertx.builder(), new VertxOptions(), clusterManager, config, config.node().id())
        .onSuccess(started::add)
        .map(vertx -> new Member(vertx, clusterManager));
  }

  @AfterEach
  void closeMembers() throws Exception {
    for (Vertx vertx : started) vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void twoNodesFormOneClusterAndTalkOverTheEventBus() throws Exception {
    int base = twoFreePorts();
    // The second node gets its Hazelcast port through the offset, as nodes on one machine do.
    String members = "127.0.0.1:" + base + ",127.0.0.1:" + (base + 1);
    CenterConfig configA = config("node-a", base, 0, members);
    CenterConfig configB = config("node-b", base, 1, members);
    assertThat(configB.cluster().port()).isEqualTo(base + 1);

    List<Member> both = Future.all(join(configA), join(configB))
        .map(all -> List.<Member>of(all.resultAt(0), all.resultAt(1)))
        .toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    Member a = both.get(0);
    Member b = both.get(1);

    Eventually.until(WAIT, "both members see two nodes",
        () -> List.of(a.clusterManager().getNodes().size(), b.clusterManager().getNodes().size()),
        sizes -> sizes.equals(List.of(2, 2)));
    assertThat(a.clusterManager().getNodes()).containsExactlyInAnyOrderElementsOf(b.clusterManager().getNodes());

    NodeInfo bSeenFromA = Eventually.until(WAIT, "node-b's info as node-a reads it",
        () -> nodeInfo(a.clusterManager(), b.clusterManager().getNodeId()), info -> info != null);
    assertThat(bSeenFromA.metadata().getString("nodeId")).isEqualTo("node-b");
    assertThat(bSeenFromA.metadata().getString("http")).isEqualTo("127.0.0.1:" + configB.http().port());
    assertThat(bSeenFromA.metadata().getInteger("mqtt")).isEqualTo(configB.mqtt().port());
    assertThat(bSeenFromA.host()).isEqualTo("127.0.0.1");
    assertThat(nodeInfo(b.clusterManager(), a.clusterManager().getNodeId()).metadata().getString("nodeId"))
        .isEqualTo("node-a");

    b.vertx().eventBus().<String>consumer("it.cluster.echo", message -> message.reply("node-b got " + message.body()))
        .completion().toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    String reply = Eventually.until(WAIT, "a reply from node-b's consumer",
        () -> a.vertx().eventBus().<String>request("it.cluster.echo", "ping").map(m -> m.body())
            .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS),
        body -> true);
    assertThat(reply).isEqualTo("node-b got ping");

    b.vertx().close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    started.remove(b.vertx());
    Eventually.until(WAIT, "node-a sees node-b leave", () -> a.clusterManager().getNodes().size(), n -> n == 1);
  }

  /** A free port whose successor is free too. */
  private static int twoFreePorts() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = TestNode.freePort();
      if (port >= 65535) continue;
      try (ServerSocket next = new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // try another pair
      }
    }
    throw new IllegalStateException("no two consecutive free ports");
  }

  private static NodeInfo nodeInfo(ClusterManager clusterManager, String nodeId) throws Exception {
    Promise<NodeInfo> info = Promise.promise();
    clusterManager.getNodeInfo(nodeId, info);
    return info.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
