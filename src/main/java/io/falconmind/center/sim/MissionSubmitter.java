package io.falconmind.center.sim;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Random;

/**
 * Submits missions of one type at a steady rate over REST, so a single command shows the whole
 * loop (submit, assign, run, succeed). Several missions due in one tick go out as one batch. When
 * the center answers slower than the rate, missions beyond a bounded number in flight are skipped
 * and counted, not queued without end.
 */
final class MissionSubmitter extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(MissionSubmitter.class);
  private static final long TICK_MS = 100;
  private static final int MAX_IN_FLIGHT = 32;

  private final SimOptions options;
  private final String adminToken;
  private final FleetStats stats;
  private final Random random;
  private CenterApi api;
  private long startedAt;
  private long due;
  private long sent;
  private int inFlight;
  private long skipped;
  private long timer;

  MissionSubmitter(SimOptions options, String adminToken, FleetStats stats, Random random) {
    this.options = options;
    this.adminToken = adminToken;
    this.stats = stats;
    this.random = random;
  }

  @Override
  public Future<?> start() {
    api = new CenterApi(vertx, options.api(), adminToken, 4);
    startedAt = System.nanoTime();
    timer = vertx.setPeriodic(TICK_MS, t -> tick());
    log.info("submitting {} missions/s of type {}", options.submitRate(), options.missionType());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return api.close();
  }

  private void tick() {
    double elapsedSec = (System.nanoTime() - startedAt) / 1e9;
    due = (long) Math.floor(elapsedSec * options.submitRate());
    int count = (int) Math.min(due - sent, 500);
    if (count <= 0) return;
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped += count;
      sent += count;
      if (stats.mayNotice("submit-behind", System.currentTimeMillis(), 5_000)) {
        log.warn("the center answers slower than {} missions/s: {} missions skipped so far", options.submitRate(), skipped);
      }
      return;
    }
    sent += count;
    inFlight++;
    Future<Void> done = count == 1 ? submitOne() : submitBatch(count);
    done.onFailure(e -> {
      stats.submitErrors.add(count);
      if (stats.mayNotice("submit-failed", System.currentTimeMillis(), 5_000)) log.warn("submit failed: {}", e.getMessage());
    }).onComplete(ar -> inFlight--);
  }

  private Future<Void> submitOne() {
    return api.submitMission(mission()).map(m -> {
      stats.submitted.increment();
      return null;
    });
  }

  private Future<Void> submitBatch(int count) {
    JsonArray missions = new JsonArray();
    for (int i = 0; i < count; i++) missions.add(mission());
    return api.submitBatch(new JsonObject().put("missions", missions)).map(answer -> {
      JsonArray items = answer.getJsonArray("items", new JsonArray());
      for (int i = 0; i < items.size(); i++) {
        JsonObject item = items.getJsonObject(i);
        if (item.containsKey("problem")) {
          stats.submitErrors.increment();
          if (stats.mayNotice("submit-refused", System.currentTimeMillis(), 5_000)) {
            log.warn("mission refused: {}", item.getJsonObject("problem").encode());
          }
        } else {
          stats.submitted.increment();
        }
      }
      return null;
    });
  }

  private JsonObject mission() {
    double[] p = Geo.randomPointIn(options.area(), random);
    return new JsonObject()
        .put("type", options.missionType())
        .put("priority", 30 + random.nextInt(41))
        .put("payload", new JsonObject().put("lat", p[0]).put("lon", p[1]).put("source", "simulator"));
  }
}
