package io.falconmind.center.it.broker;

import io.falconmind.center.it.TestNode;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

import java.util.stream.IntStream;

/**
 * {@link BrokerLimitsChecks} across three clustered nodes: subscribers on the first, publishers on
 * the second, other clients on the third; a session that comes back does so on the publishers'
 * node.
 */
@Timeout(120)
class BrokerLimitsClusterIT extends BrokerLimitsChecks {

  private static SelfSignedCertificate certificate;
  private static BrokerTestCluster cluster;
  private static int[] tlsPorts;

  @BeforeAll
  static void start() throws Exception {
    certificate = SelfSignedCertificate.create("localhost");
    tlsPorts = IntStream.range(0, 3).map(i -> TestNode.freePort()).toArray();
    cluster = BrokerTestCluster.start(3,
        i -> settings(tlsPorts[i], certificate.certificatePath(), certificate.privateKeyPath()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
    if (certificate != null) certificate.delete();
  }

  @Override
  TestNode subscriberNode() {
    return cluster.node(0);
  }

  @Override
  TestNode publisherNode() {
    return cluster.node(1);
  }

  @Override
  TestNode thirdNode() {
    return cluster.node(2);
  }

  @Override
  int tlsPort(TestNode n) {
    return tlsPorts[cluster.nodes.indexOf(n)];
  }

  @Override
  String certificatePath() {
    return certificate.certificatePath();
  }
}
