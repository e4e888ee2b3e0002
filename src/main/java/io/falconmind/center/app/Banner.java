package io.falconmind.center.app;

/** What a node prints once it is up: where to reach it and how to authenticate. */
final class Banner {
  private Banner() {
  }

  static String of(Node node) {
    CenterConfig c = node.config();
    String httpHost = shown(c.http().host());
    String mqttHost = shown(c.mqtt().host());
    String http = "http://" + httpHost + ":" + c.http().port();
    StringBuilder b = new StringBuilder()
        .append("\nFalconMind Cluster Center node ").append(node.nodeId()).append(" is ready\n")
        .append("  REST API   ").append(http).append("/api/v1   (contract: ").append(http).append("/openapi.yaml)\n")
        .append("  Live feed  ws://").append(httpHost).append(':').append(c.http().port()).append("/api/v1/feed\n")
        .append("  MQTT       mqtt://").append(mqttHost).append(':').append(c.mqtt().port())
        .append("   (devices: client id = username = device id, password = device token)\n")
        .append("  Health     ").append(http).append("/health/ready   Metrics ").append(http).append("/metrics\n");
    if (node.clusterManager() != null) {
      b.append("  Cluster    Hazelcast ").append(c.cluster().host()).append(':').append(c.cluster().port())
          .append(", ").append(node.clusterManager().getNodes().size()).append(" member(s) now   (")
          .append(http).append("/api/v1/cluster)\n");
    }
    if (node.adminTokenGenerated()) {
      b.append("  Auth       Authorization: Bearer ").append(node.adminToken()).append('\n')
          .append("             (generated now and kept in ").append(c.node().dataDir().resolve("admin-token"))
          .append("; shown only this once)\n");
    } else if (c.auth().adminToken().isEmpty()) {
      b.append("  Auth       Authorization: Bearer $(cat ").append(c.node().dataDir().resolve("admin-token")).append(")\n");
    } else {
      b.append("  Auth       Authorization: Bearer <auth.adminToken from the configuration>\n");
    }
    return b.toString();
  }

  private static String shown(String host) {
    return host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
  }
}
