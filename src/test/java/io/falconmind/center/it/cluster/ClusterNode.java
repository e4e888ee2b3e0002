package io.falconmind.center.it.cluster;

import io.falconmind.center.it.Api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One cluster node in its own JVM, started from the packaged jar with CENTER_* environment
 * variables, on fixed loopback ports that stay the same across restarts (its Raft endpoint changes:
 * every start is a new incarnation). Faults are real signals: {@code kill -9}, {@code SIGSTOP} and
 * {@code SIGCONT}.
 *
 * <p>Not thread-safe: one thread (the test, or the chaos driver) starts, kills and freezes nodes.
 */
public final class ClusterNode {

  /** The ports of one node; the Hazelcast port is what other nodes list in {@code cluster.members}. */
  public record Ports(int http, int mqtt, int grpc, int hazelcast) {
  }

  /** JVM options for fault tests: small heap, cheap GC and JIT, because five nodes share two cores. */
  public static final List<String> FAULT_TEST_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-Xss512k");

  public final String id;
  public final Ports ports;
  public final Path dataDir;
  public final Path log;
  public final Api api;
  private final Path jar;
  private final List<String> jvm;
  private final Map<String, String> env;
  private Process process;
  private boolean frozen;
  private int starts;

  ClusterNode(String id, Ports ports, Path workDir, Path jar, List<String> jvm, Map<String, String> env,
              String adminToken) {
    this.id = id;
    this.ports = ports;
    this.dataDir = workDir.resolve(id);
    this.log = workDir.resolve(id + ".log");
    this.jar = jar;
    this.jvm = List.copyOf(jvm);
    this.env = new LinkedHashMap<>(env);
    this.api = new Api(ports.http(), adminToken);
  }

  /** Launches the JVM and returns at once; {@link LocalCluster} waits for the node to be ready. */
  public void start() {
    if (alive()) throw new IllegalStateException(id + " is already running");
    try {
      Files.createDirectories(dataDir);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvm);
      command.add("-jar");
      command.add(jar.toString());
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().keySet().removeIf(k -> k.startsWith("CENTER_"));
      pb.environment().putAll(env);
      pb.directory(dataDir.toFile());
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      Files.writeString(log, "\n===== start " + (++starts) + " at " + java.time.Instant.now() + " =====\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      process = pb.start();
      frozen = false;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + id, e);
    }
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  /** Alive and not frozen: a node a client or device could reach now. */
  public boolean serving() {
    return alive() && !frozen;
  }

  public boolean frozen() {
    return frozen;
  }

  public long pid() {
    return process == null ? -1 : process.pid();
  }

  /** How often this node was started; the first start is 1. */
  public int starts() {
    return starts;
  }

  /** SIGKILL: nothing is flushed, no shutdown hook runs. A frozen process dies as well. */
  public void kill9() {
    if (process == null) return;
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException(id + " did not die on SIGKILL");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    frozen = false;
  }

  /** SIGSTOP: every thread of the node stops; its sockets stay open, so peers see silence, not a close. */
  public void freeze() {
    signal("STOP");
    frozen = true;
  }

  /** SIGCONT after {@link #freeze()}. */
  public void thaw() {
    signal("CONT");
    frozen = false;
  }

  /** SIGTERM and wait for the clean stop. */
  public void terminate(Duration wait) {
    if (!alive()) return;
    if (frozen) thaw();
    process.destroy();
    try {
      if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) kill9();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill9();
    }
  }

  /** The node's exit code, or null while it runs (or never ran). */
  public Integer exitCode() {
    return process == null || process.isAlive() ? null : process.exitValue();
  }

  private void signal(String name) {
    if (!alive()) throw new IllegalStateException(id + " is not running");
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The last lines of the node's log, for a failure message. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public String toString() {
    return id + (alive() ? (frozen ? "[frozen pid " + pid() + "]" : "[pid " + pid() + "]") : "[down]");
  }
}
