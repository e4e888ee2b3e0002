package io.falconmind.center.it.partition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A clustered node in its own JVM, started from the packaged jar with CENTER_* settings, that serves
 * HTTP and MQTT and binds Hazelcast and the clustered event bus on its own loopback address
 * (127.0.0.x; Linux routes all of 127/8 to {@code lo}). It runs under its own group id
 * ({@code setpriv --regid}, still as root): the event bus client does not bind its sockets, so the
 * kernel sends its connections from 127.0.0.1, and the group id is how {@link LoopbackFirewall}
 * tells this node's packets from the others'.
 *
 * <p>Not thread-safe; the test drives it from one thread. {@link #close()} stops the process
 * (SIGTERM, then SIGKILL after 30 s).
 */
final class LoopbackNode implements AutoCloseable {

  static final String ADMIN_TOKEN = "partition-admin-token";

  /** The ports every node uses, each on its own address. */
  record Ports(int http, int mqtt, int hazelcast, int eventBus) {

    /** Four different ports, each free on every one of {@code addresses}. */
    static Ports freeOn(List<String> addresses) {
      Set<Integer> taken = new HashSet<>();
      return new Ports(freePort(addresses, taken), freePort(addresses, taken), freePort(addresses, taken),
          freePort(addresses, taken));
    }

    private static int freePort(List<String> addresses, Set<Integer> taken) {
      for (int attempt = 0; attempt < 100; attempt++) {
        int port;
        try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getByName(addresses.get(0)))) {
          port = first.getLocalPort();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        if (!taken.contains(port) && addresses.stream().allMatch(a -> bindable(a, port))) {
          taken.add(port);
          return port;
        }
      }
      throw new IllegalStateException("no port free on all of " + addresses);
    }

    private static boolean bindable(String address, int port) {
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(address))) {
        return true;
      } catch (IOException taken) {
        return false;
      }
    }
  }

  final String nodeId;
  final String address;
  final int groupId;
  final OperatorApi api;
  final Path log;
  private final Process process;

  private LoopbackNode(String nodeId, String address, int groupId, OperatorApi api, Path log, Process process) {
    this.nodeId = nodeId;
    this.address = address;
    this.groupId = groupId;
    this.api = api;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts the process and returns at once; the node forms its Raft group only once the others of
   * {@code members} are up too. Fails with an {@link AssertionError} when {@code setpriv} is missing.
   */
  static LoopbackNode start(String nodeId, String address, int groupId, Ports ports, List<String> memberAddresses,
                            String postgresUrl, Path workDir) {
    Path jar = Path.of("target", "cluster-center.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) throw new IllegalStateException("package the node first: " + jar + " is missing");
    HostCommand setpriv = HostCommand.locate("setpriv").orElseThrow(() -> new AssertionError(
        "setpriv (Debian package util-linux) is missing: the partition test runs each node under its own group id"));
    Path dataDir = workDir.resolve(nodeId);
    Path log = workDir.resolve(nodeId + ".log");
    ProcessBuilder pb = new ProcessBuilder(setpriv.executable().toString(), "--regid=" + groupId, "--clear-groups",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("CENTER_"));
    Map<String, String> settings = new HashMap<>();
    settings.put("CENTER_NODE_ID", nodeId);
    settings.put("CENTER_NODE_DATA_DIR", dataDir.toString());
    settings.put("CENTER_AUTH_ADMIN_TOKEN", ADMIN_TOKEN);
    settings.put("CENTER_HTTP_HOST", address);
    settings.put("CENTER_HTTP_PORT", String.valueOf(ports.http()));
    settings.put("CENTER_MQTT_HOST", address);
    settings.put("CENTER_MQTT_PORT", String.valueOf(ports.mqtt()));
    settings.put("CENTER_MQTT_INSTANCES", "1");
    settings.put("CENTER_POSTGRES_URL", postgresUrl);
    settings.put("CENTER_POSTGRES_POOL_SIZE", "2");
    settings.put("CENTER_CLUSTER_ENABLED", "true");
    settings.put("CENTER_CLUSTER_MEMBERS", memberAddresses.stream().map(a -> a + ":" + ports.hazelcast())
        .collect(Collectors.joining(",")));
    settings.put("CENTER_CLUSTER_HOST", address);
    settings.put("CENTER_CLUSTER_PORT", String.valueOf(ports.hazelcast()));
    settings.put("CENTER_CLUSTER_EVENT_BUS_HOST", address);
    settings.put("CENTER_CLUSTER_EVENT_BUS_PORT", String.valueOf(ports.eventBus()));
    settings.put("CENTER_CLUSTER_BOOTSTRAP_EXPECT", String.valueOf(memberAddresses.size()));
    settings.put("CENTER_RAFT_VOTERS", "3");
    settings.put("CENTER_RAFT_LEARNERS", "0");
    env.putAll(settings);
    pb.directory(workDir.toFile());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      Files.createDirectories(dataDir);
      return new LoopbackNode(nodeId, address, groupId, new OperatorApi(address, ports.http(), ADMIN_TOKEN), log,
          pb.start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The status of {@code GET /health/ready}; throws when the request fails, and with the log's tail
   * once the process exited.
   */
  int readiness() {
    if (!process.isAlive()) {
      throw new IllegalStateException(nodeId + " exited with " + process.exitValue() + "; its log ends:\n" + logTail(40));
    }
    return api.ready().status();
  }

  /** The last {@code lines} lines of this node's log, for failure messages. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log " + log + " unreadable: " + e + ")";
    }
  }

  /** Sends SIGTERM without waiting, so several nodes stop side by side; {@link #close()} waits. */
  void terminate() {
    process.destroy();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return nodeId + "@" + address;
  }
}
