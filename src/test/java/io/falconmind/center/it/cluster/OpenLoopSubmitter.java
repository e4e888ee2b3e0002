package io.falconmind.center.it.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Open-loop mission load over {@code POST /api/v1/missions/batch}: batches fall due on a fixed
 * schedule whatever the answers, and go to the given nodes in turn. The acknowledge latency of a
 * batch is timed from the moment it fell due, so time spent waiting for a free connection counts (no
 * coordinated omission), as in bench/MissionBench.java.
 */
final class OpenLoopSubmitter {

  /** What one rate step measured. */
  static final class Step {
    final int rate;
    final LongAdder sent = new LongAdder();
    final LongAdder acked = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder succeeded = new LongAdder();
    final Samples ackMs = new Samples();
    final AtomicInteger inFlight = new AtomicInteger();
    long startNanos;
    long endNanos;

    Step(int rate) {
      this.rate = rate;
    }

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }

    double perSecond(LongAdder counter) {
      return counter.sum() / seconds();
    }
  }

  private final Vertx vertx;
  private final List<WebClient> clients = new ArrayList<>();
  private final String token;
  private final int batch;
  private final AtomicInteger rotation = new AtomicInteger();

  OpenLoopSubmitter(Vertx vertx, List<Integer> httpPorts, String token, int batch, int connectionsPerNode) {
    this.vertx = vertx;
    this.token = token;
    this.batch = batch;
    for (int port : httpPorts) {
      clients.add(WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
          .setKeepAlive(true).setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(connectionsPerNode)
          .setMaxWaitQueueSize(100_000)));
    }
  }

  /** Offers {@code rate} missions/s for {@code seconds}, then returns (answers may still be on their way). */
  void run(Step step, int seconds) throws InterruptedException {
    long total = (long) step.rate * seconds / batch;
    double periodNanos = 1e9 * batch / step.rate;
    CountDownLatch scheduled = new CountDownLatch(1);
    step.startNanos = System.nanoTime();
    long[] next = {0};
    long timer = vertx.setPeriodic(2, id -> {
      long now = System.nanoTime();
      while (next[0] < total && step.startNanos + (long) (next[0] * periodNanos) <= now) {
        send(step, step.startNanos + (long) (next[0] * periodNanos));
        next[0]++;
      }
      if (next[0] >= total) {
        vertx.cancelTimer(id);
        scheduled.countDown();
      }
    });
    if (!scheduled.await(seconds + 60L, TimeUnit.SECONDS)) vertx.cancelTimer(timer);
    step.endNanos = System.nanoTime();
  }

  private void send(Step step, long dueNanos) {
    JsonArray missions = new JsonArray();
    for (int i = 0; i < batch; i++) missions.add(new JsonObject().put("type", "bench").put("payload", new JsonObject().put("n", i)));
    WebClient client = clients.get(Math.floorMod(rotation.getAndIncrement(), clients.size()));
    step.sent.add(batch);
    step.inFlight.incrementAndGet();
    client.post("/api/v1/missions/batch").putHeader("Authorization", "Bearer " + token).timeout(60_000)
        .sendJsonObject(new JsonObject().put("missions", missions))
        .onComplete(ar -> {
          step.inFlight.decrementAndGet();
          if (ar.failed() || ar.result().statusCode() != 201) {
            step.refused.add(batch);
            return;
          }
          step.ackMs.add((System.nanoTime() - dueNanos) / 1_000_000);
          JsonArray items = ar.result().bodyAsJsonObject().getJsonArray("items", new JsonArray());
          for (int i = 0; i < items.size(); i++) {
            int status = items.getJsonObject(i).getInteger("status", 0);
            if (status == 201 || status == 200) step.acked.increment();
            else step.refused.increment();
          }
        });
  }

  void close() {
    clients.forEach(WebClient::close);
  }
}
