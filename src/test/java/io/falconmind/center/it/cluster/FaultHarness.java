package io.falconmind.center.it.cluster;

import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a fault run needs, started in order and stopped in reverse: the cluster (with its
 * shared PostgreSQL), one resuming feed per node, the probe devices, the steady mission load, and the
 * checks that tie them together. Shared by {@link ClusterFaultIT} and {@link ChaosRun}.
 */
final class FaultHarness implements AutoCloseable {

  /** Shape of the load. */
  record Load(int devices, long workMs, long submitPeriodMs, int missionTimeoutSec, long giveUpMs) {
    static Load defaults() {
      return new Load(8, 150, 100, 15, 120_000);
    }
  }

  final Vertx vertx;
  final LocalCluster cluster;
  final List<NodeFeed> feeds = new ArrayList<>();
  final ProbeFleet fleet;
  final MissionLoad load;
  final ClusterChecks checks;

  private FaultHarness(Vertx vertx, LocalCluster cluster, ProbeFleet fleet, MissionLoad load, List<NodeFeed> feeds) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.fleet = fleet;
    this.load = load;
    this.feeds.addAll(feeds);
    this.checks = new ClusterChecks(cluster, load, fleet, feeds);
  }

  static FaultHarness start(Path workDir, Path jar, LocalCluster.Spec spec, Load shape) {
    if (!jar.toFile().isFile()) throw new IllegalStateException("package the node first: " + jar + " is missing");
    Vertx vertx = Vertx.vertx();
    LocalCluster cluster = null;
    List<NodeFeed> feeds = new ArrayList<>();
    ProbeFleet fleet = null;
    try {
      cluster = LocalCluster.start(workDir, jar, spec, Duration.ofSeconds(180));
      for (ClusterNode n : cluster.nodes()) {
        NodeFeed f = new NodeFeed(vertx, n);
        f.open();
        feeds.add(f);
      }
      fleet = ProbeFleet.start(cluster, "probe", shape.devices(), shape.workMs(), Duration.ofSeconds(60));
      MissionLoad load = new MissionLoad(cluster, "run-" + System.currentTimeMillis(), shape.submitPeriodMs(),
          shape.giveUpMs(), shape.missionTimeoutSec());
      load.start();
      return new FaultHarness(vertx, cluster, fleet, load, feeds);
    } catch (RuntimeException | Error e) {
      if (fleet != null) fleet.close();
      feeds.forEach(NodeFeed::close);
      if (cluster != null) cluster.close();
      vertx.close();
      throw e;
    }
  }

  /** The highest seq any feed has seen. */
  long highestSeq() {
    return feeds.stream().mapToLong(NodeFeed::lastSeq).max().orElse(0);
  }

  @Override
  public void close() {
    load.stop();
    fleet.close();
    feeds.forEach(NodeFeed::close);
    cluster.close();
    vertx.close();
  }
}
