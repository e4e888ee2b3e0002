package io.falconmind.center.store;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.Applied;
import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.MissionSpec;
import io.falconmind.center.control.PersistedEvents;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Group-commit throughput against the embedded PostgreSQL: a mission life cycle (submit, assign,
 * running, succeed) over many devices, published on the applied address as fast as the
 * event bus takes it; prints events persisted per second. Not a test: run it by hand with
 * {@code java -cp target/classes:target/test-classes:<deps> io.falconmind.center.store.StoreBench
 * [missions] [durable]}.
 */
public final class StoreBench {

  public static void main(String[] args) throws Exception {
    int missions = args.length > 0 ? Integer.parseInt(args[0]) : 40_000;
    boolean durable = args.length <= 1 || Boolean.parseBoolean(args[1]);
    Path dir = Files.createTempDirectory("store-bench");
    Vertx vertx = Vertx.vertx();
    try {
      List<Applied> entries = lifecycle(missions, 200);
      long events = entries.stream().mapToLong(a -> a.events().size()).sum();
      Database db = TestDb.await(Database.open(vertx, TestDb.EMBEDDED, new CenterConfig.Store(4000, durable), dir));
      TestDb.await(vertx.deployVerticle(new StoreVerticle(db, new CenterConfig.Store(4000, durable))));
      long last = entries.get(entries.size() - 1).index();
      Promise<Void> done = Promise.promise();
      AtomicInteger batches = new AtomicInteger();
      vertx.eventBus().<PersistedEvents>localConsumer(ControlClient.PERSISTED, m -> {
        batches.incrementAndGet();
        if (m.body().index() >= last) done.tryComplete();
      });
      DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
      long start = System.nanoTime();
      vertx.getOrCreateContext().runOnContext(v -> {
        for (Applied a : entries) vertx.eventBus().publish(ControlClient.APPLIED, a, local);
      });
      TestDb.await(done.future());
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("store group commit: %d events (%d entries) in %.2f s = %.0f events/s, %d batches, durable=%s, %d cores%n",
          events, entries.size(), seconds, events / seconds, batches.get(), durable,
          Runtime.getRuntime().availableProcessors());
      TestDb.await(db.close());
    } finally {
      TestDb.await(vertx.close());
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Each mission: submitted, assigned, running, succeeded; one command per step. */
  private static List<Applied> lifecycle(int missions, int devices) {
    ControlScript s = new ControlScript();
    for (int d = 0; d < devices; d++) {
      String id = "dev-" + d;
      s.register(id);
      s.apply(new io.falconmind.center.control.Command.UpdateProfile(id, "drone", List.of("camera"), 1000,
          new JsonObject(), Map.of("site", "north"), s.now()));
      s.connect(id, "node-1");
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < missions; i++) {
      String id = "mission-" + i;
      ids.add(id);
      s.apply(new io.falconmind.center.control.Command.SubmitMissions(List.of(new MissionSpec(id, "survey", 50,
          new JsonObject().put("area", "field-" + i).put("altitude", 120),
          io.falconmind.center.control.Requirements.NONE, 300, 3, null, "key-" + i, "hash-" + i)), s.now()));
    }
    s.advance(1);
    for (int i = 0; i < missions; i++) {
      String id = ids.get(i);
      s.assign(id, "dev-" + (i % devices));
      s.report(id, AttemptStatus.RUNNING);
      s.report(id, AttemptStatus.SUCCEEDED);
    }
    return s.applied();
  }
}
