package io.falconmind.center.it.broker;

import io.falconmind.center.it.TestNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Clustered nodes in this JVM ({@code bk-0}, {@code bk-1}, ...) sharing one embedded PostgreSQL,
 * for the broker's cluster tests.
 */
final class BrokerTestCluster implements AutoCloseable {

  final List<TestNode> nodes = new ArrayList<>();
  private final EmbeddedPostgres postgres;

  private BrokerTestCluster(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  static BrokerTestCluster start(int size, Map<String, String> settings) throws Exception {
    return start(size, i -> settings);
  }

  /** With settings of each node's own ({@code settings.apply(i)} for node {@code i}). */
  static BrokerTestCluster start(int size, java.util.function.IntFunction<Map<String, String>> settings) throws Exception {
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setDataDirectory(Files.createTempDirectory("broker-cluster-pg")).setCleanDataDirectory(true).start();
    BrokerTestCluster cluster = new BrokerTestCluster(postgres);
    String url = "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
    int[] hazelcast = IntStream.range(0, size).map(i -> TestNode.freePort()).toArray();
    String members = IntStream.of(hazelcast).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    List<CompletableFuture<TestNode>> starting = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      Map<String, String> node = new HashMap<>(settings.apply(i));
      node.put("node.id", "bk-" + i);
      node.put("cluster.enabled", "true");
      node.put("cluster.members", members);
      node.put("cluster.port", String.valueOf(hazelcast[i]));
      node.put("cluster.bootstrapExpect", String.valueOf(size));
      node.put("raft.voters", String.valueOf(size >= 3 ? 3 : 1));
      node.put("raft.learners", "0");
      node.put("postgres.url", url);
      node.put("postgres.poolSize", "2");
      Path dir = Files.createTempDirectory("broker-cluster-node");
      starting.add(CompletableFuture.supplyAsync(() -> TestNode.start(dir, node)));
    }
    try {
      for (CompletableFuture<TestNode> f : starting) cluster.nodes.add(f.join());
    } catch (RuntimeException failed) {
      cluster.close();
      throw failed;
    }
    return cluster;
  }

  TestNode node(int i) {
    return nodes.get(i);
  }

  @Override
  public void close() throws Exception {
    for (TestNode n : nodes) n.close();
    postgres.close();
  }
}
