package io.falconmind.center.it;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.app.Node;
import io.falconmind.center.app.Settings;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real node in this JVM (embedded PostgreSQL, real MQTT and HTTP servers) on free loopback ports
 * with its own data directory; settings tuned so retries and timeouts happen in test time.
 */
public final class TestNode implements AutoCloseable {

  public final Node node;
  public final Path dataDir;
  public final int httpPort;
  public final int mqttPort;
  public final Api api;

  private TestNode(Node node, Path dataDir, int httpPort, int mqttPort) {
    this.node = node;
    this.dataDir = dataDir;
    this.httpPort = httpPort;
    this.mqttPort = mqttPort;
    this.api = new Api(httpPort, node.adminToken());
  }

  public static TestNode start(Map<String, String> overrides) {
    try {
      Path dir = Files.createTempDirectory("center-it-");
      return start(dir, overrides);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static TestNode start(Path dataDir, Map<String, String> overrides) {
    int http = overrides.containsKey("http.port") ? Integer.parseInt(overrides.get("http.port")) : freePort();
    int mqtt = overrides.containsKey("mqtt.port") ? Integer.parseInt(overrides.get("mqtt.port")) : freePort();
    Map<String, String> settings = new HashMap<>();
    settings.put("node.dataDir", dataDir.toString());
    settings.put("http.host", "127.0.0.1");
    settings.put("http.port", String.valueOf(http));
    settings.put("mqtt.host", "127.0.0.1");
    settings.put("mqtt.port", String.valueOf(mqtt));
    settings.put("mqtt.instances", "2");
    settings.put("mqtt.offlineGraceSec", "1");
    settings.put("auth.adminToken", "it-admin-token");
    settings.put("missions.backoffBaseMs", "100");
    settings.put("missions.backoffMaxMs", "400");
    settings.put("scheduler.tickMs", "50");
    settings.putAll(overrides);
    CenterConfig config = CenterConfig.from(Settings.load(null, Map.of(), settings));
    try {
      Node node = Node.start(config).toCompletionStage().toCompletableFuture().get(3, TimeUnit.MINUTES);
      TestNode t = new TestNode(node, dataDir, http, mqtt);
      Eventually.until(java.time.Duration.ofSeconds(30), "node ready", () -> t.api.get("/health/ready").status(),
          s -> s == 200);
      return t;
    } catch (Exception e) {
      throw new IllegalStateException("node did not start", e);
    }
  }

  public TestDevice device(String id, String token) {
    return TestDevice.connect(mqttPort, id, token);
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private volatile boolean closed;

  /** Whether {@link #close()} was called. */
  public boolean closed() {
    return closed;
  }

  @Override
  public void close() throws Exception {
    if (closed) return;
    closed = true;
    node.stop().toCompletionStage().toCompletableFuture().get(2, TimeUnit.MINUTES);
  }
}
