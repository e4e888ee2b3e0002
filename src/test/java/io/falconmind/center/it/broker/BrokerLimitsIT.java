package io.falconmind.center.it.broker;

import io.falconmind.center.it.TestNode;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/** {@link BrokerLimitsChecks} with every client on one node. */
@Timeout(120)
class BrokerLimitsIT extends BrokerLimitsChecks {

  private static SelfSignedCertificate certificate;
  private static TestNode node;
  private static int tlsPort;

  @BeforeAll
  static void start() {
    certificate = SelfSignedCertificate.create("localhost");
    tlsPort = TestNode.freePort();
    node = TestNode.start(settings(tlsPort, certificate.certificatePath(), certificate.privateKeyPath()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (certificate != null) certificate.delete();
  }

  @Override
  TestNode subscriberNode() {
    return node;
  }

  @Override
  TestNode publisherNode() {
    return node;
  }

  @Override
  TestNode thirdNode() {
    return node;
  }

  @Override
  int tlsPort(TestNode n) {
    return tlsPort;
  }

  @Override
  String certificatePath() {
    return certificate.certificatePath();
  }
}
