package io.falconmind.center.it;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.app.Node;
import io.falconmind.center.app.Settings;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

  /** The value of a counter or gauge on this node's {@code /metrics} (its first series). */
  public double metric(String name) {
    for (String line : api.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no " + name + " in /metrics");
  }

  public TestDevice device(String id, String token) {
    return TestDevice.connect(mqttPort, id, token);
  }

  /**
   * A port no one listens on, below the kernel's ephemeral range (32768 and up on Linux): a port
   * the kernel hands out for bind(0) can be taken as the local port of an outgoing connection (a
   * Hazelcast member connecting to another, a client) between its choice and the node's bind.
   * Ports are handed out in turn from a random start, so nodes started together never get the same.
   */
  public static int freePort() {
    for (int tries = 0; tries < FIRST_EPHEMERAL - FIRST_PORT; tries++) {
      int port = FIRST_PORT + Math.floorMod(nextPort.getAndIncrement(), FIRST_EPHEMERAL - FIRST_PORT);
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException inUse) {
        // try the next one
      }
    }
    throw new IllegalStateException("no free port between " + FIRST_PORT + " and " + FIRST_EPHEMERAL);
  }

  private static final int FIRST_PORT = 20_000;
  private static final int FIRST_EPHEMERAL = 32_768;
  private static final AtomicInteger nextPort =
      new AtomicInteger(java.util.concurrent.ThreadLocalRandom.current().nextInt(FIRST_EPHEMERAL - FIRST_PORT));

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
