package io.falconmind.center.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node in its own JVM, started from the packaged jar exactly as an operator would
 * ({@code java -jar target/cluster-center.jar}), configured through CENTER_* environment variables.
 * Killing it is a real crash.
 */
public final class NodeProcess implements AutoCloseable {

  public static final String ADMIN_TOKEN = "crash-admin-token";

  public final Path dataDir;
  public final int httpPort;
  public final int mqttPort;
  public final Api api;
  private final Process process;

  private NodeProcess(Path dataDir, int httpPort, int mqttPort, Process process) {
    this.dataDir = dataDir;
    this.httpPort = httpPort;
    this.mqttPort = mqttPort;
    this.process = process;
    this.api = new Api(httpPort, ADMIN_TOKEN);
  }

  public static NodeProcess start(Path dataDir, int httpPort, int mqttPort, Map<String, String> extraEnv) {
    File jar = Path.of("target", "cluster-center.jar").toFile();
    if (!jar.isFile()) throw new IllegalStateException("package the node first: " + jar + " is missing");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-jar", jar.getAbsolutePath());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("CENTER_"));
    Map<String, String> settings = new HashMap<>();
    settings.put("CENTER_NODE_DATA_DIR", dataDir.toString());
    settings.put("CENTER_HTTP_HOST", "127.0.0.1");
    settings.put("CENTER_HTTP_PORT", String.valueOf(httpPort));
    settings.put("CENTER_MQTT_HOST", "127.0.0.1");
    settings.put("CENTER_MQTT_PORT", String.valueOf(mqttPort));
    settings.put("CENTER_AUTH_ADMIN_TOKEN", ADMIN_TOKEN);
    settings.put("CENTER_MQTT_OFFLINE_GRACE_SEC", "1");
    settings.put("CENTER_MISSIONS_BACKOFF_BASE_MS", "100");
    settings.put("CENTER_MISSIONS_BACKOFF_MAX_MS", "400");
    settings.putAll(extraEnv);
    env.putAll(settings);
    pb.directory(dataDir.getParent().toFile());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolveSibling(dataDir.getFileName() + ".log").toFile()));
    try {
      NodeProcess node = new NodeProcess(dataDir, httpPort, mqttPort, pb.start());
      Eventually.until(Duration.ofSeconds(120), "node process ready", () -> {
        if (!node.process.isAlive()) throw new IllegalStateException("node exited with " + node.process.exitValue());
        return node.api.get("/health/ready").status();
      }, s -> s == 200);
      return node;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("node did not die");
  }

  /** SIGTERM and wait for the clean stop; returns the exit code. */
  public int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(90, TimeUnit.SECONDS)) throw new IllegalStateException("node did not stop on SIGTERM");
    return process.exitValue();
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) terminate();
  }
}
