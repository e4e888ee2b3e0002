package io.falconmind.center.app;

import io.falconmind.center.sim.Simulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Entry point: {@code java -jar cluster-center.jar [--config FILE] [--set key=value ...]} starts a
 * node; {@code java -jar cluster-center.jar simulate ...} runs the device simulator;
 * {@code java -jar cluster-center.jar postgres ...} runs only the embedded PostgreSQL for several
 * nodes to share. SIGTERM (and Ctrl-C) stop the node (or PostgreSQL) cleanly.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("simulate")) {
      System.exit(Simulator.run(Arrays.copyOfRange(args, 1, args.length)));
    }
    if (args.length > 0 && args[0].equals("hash-password")) {
      System.exit(hashPassword(Arrays.copyOfRange(args, 1, args.length)));
    }
    if (args.length > 0 && args[0].equals("postgres")) {
      // No exit after a clean stop: that return happens while shutdown hooks run, and exit would block.
      int code = PostgresCommand.run(Arrays.copyOfRange(args, 1, args.length));
      if (code != 0) System.exit(code);
      return;
    }
    int code = runNode(args);
    if (code != 0) System.exit(code);
  }

  /**
   * {@code hash-password [PASSWORD]}: prints the stored form of a broker user's password for
   * {@code mqtt.users} (read from the first line of standard input when not given).
   */
  private static int hashPassword(String[] args) {
    String password;
    if (args.length > 1 || args.length == 1 && args[0].startsWith("--")) {
      System.err.println("usage: hash-password [PASSWORD]   (or the password on standard input)");
      return 2;
    }
    if (args.length == 1) {
      password = args[0];
    } else {
      try {
        password = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))
            .readLine();
      } catch (java.io.IOException e) {
        System.err.println("cannot read the password: " + e.getMessage());
        return 1;
      }
    }
    if (password == null || password.isEmpty()) {
      System.err.println("the password is empty");
      return 2;
    }
    System.out.println(io.falconmind.center.broker.BrokerAccess.hashPassword(password));
    return 0;
  }

  private static int runNode(String[] args) {
    CenterConfig config;
    try {
      config = configFrom(args);
    } catch (ConfigException e) {
      System.err.println("Configuration error: " + e.getMessage());
      return 2;
    }
    Node node;
    try {
      node = Node.start(config).toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    } catch (ConfigException e) {
      System.err.println("Configuration error: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof ConfigException ce) {
        System.err.println("Configuration error: " + ce.getMessage());
        return 2;
      }
      log.error("The node could not start: {}", cause.toString(), cause);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("Stopping node {}", node.nodeId());
      try {
        node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        log.info("Node {} stopped", node.nodeId());
      } catch (Exception e) {
        log.warn("Clean stop did not finish: {}", e.toString());
      } finally {
        stopped.countDown();
      }
    }, "center-shutdown"));
    System.out.println(Banner.of(node));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  static CenterConfig configFrom(String[] args) {
    Path file = null;
    Map<String, String> overrides = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> {
          if (i + 1 >= args.length) throw new ConfigException("--config needs a file");
          file = Path.of(args[++i]);
          if (!Files.isReadable(file)) throw new ConfigException("--config: cannot read " + file);
        }
        case "--set" -> {
          if (i + 1 >= args.length || !args[i + 1].contains("=")) {
            throw new ConfigException("--set needs key=value");
          }
          String kv = args[++i];
          overrides.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        default -> throw new ConfigException("unknown argument '" + args[i]
            + "' (usage: [--config FILE] [--set key=value]... | simulate --help | postgres --help | hash-password)");
      }
    }
    if (file == null && Files.isReadable(Path.of("conf/center.yaml"))) file = Path.of("conf/center.yaml");
    return CenterConfig.from(Settings.load(file, System.getenv(), overrides));
  }
}
