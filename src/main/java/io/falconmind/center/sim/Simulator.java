package io.falconmind.center.sim;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The {@code simulate} command: runs a device fleet against a center until {@code --run-sec}
 * passes or the process is told to stop (Ctrl-C, SIGTERM). Blocks the calling thread (the main
 * thread), never an event loop.
 */
public final class Simulator {
  private static final Logger log = LoggerFactory.getLogger(Simulator.class);
  private static final long STATUS_EVERY_MS = 5_000;

  private Simulator() {
  }

  /** Runs the simulator; returns the process exit code (0 done, 2 bad usage, 1 failure). */
  public static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      out.println(SimOptions.usage());
      return 0;
    }
    SimOptions options;
    String token;
    try {
      options = SimOptions.parse(args);
      token = AdminToken.resolve(options.token(), System.getenv(), options.dataDir());
    } catch (SimOptions.UsageException | IllegalStateException e) {
      err.println("simulate: " + e.getMessage());
      err.println();
      err.println(SimOptions.usage());
      return 2;
    }
    return runFleet(options, token);
  }

  private static int runFleet(SimOptions options, String token) {
    Vertx vertx = Vertx.vertx();
    Fleet fleet = new Fleet(vertx, options, token);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> shutDown(vertx, fleet, stopped), "simulator-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info("simulating {} devices ({}) against {} and mqtt {}:{}", options.devices(),
        String.join(",", options.kinds()), options.api(), options.mqttHost(), options.mqttPort());
    vertx.setPeriodic(STATUS_EVERY_MS, t -> log.info("{}", fleet.stats().line()));
    fleet.start().onFailure(e -> {
      log.error("simulator did not start: {}", e.getMessage());
      stopped.countDown();
    });
    fleet.allConnected().onSuccess(v -> log.info("all {} devices connected", options.devices()));
    try {
      boolean timedOut = options.runSec() > 0
          ? !stopped.await(options.runSec(), TimeUnit.SECONDS)
          : !awaitForever(stopped);
      if (timedOut) {
        log.info("run time of {} s is over", options.runSec());
        Runtime.getRuntime().removeShutdownHook(hook);
        shutDown(vertx, fleet, stopped);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("final: {}", fleet.stats().line());
    return 0;
  }

  private static boolean awaitForever(CountDownLatch latch) throws InterruptedException {
    latch.await();
    return true;
  }

  private static void shutDown(Vertx vertx, Fleet fleet, CountDownLatch stopped) {
    if (stopped.getCount() == 0) return;
    log.info("stopping: disconnecting devices (they stay registered)");
    try {
      fleet.stop().eventually(vertx::close).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("stop did not finish cleanly: {}", e.toString());
    }
    stopped.countDown();
  }
}
