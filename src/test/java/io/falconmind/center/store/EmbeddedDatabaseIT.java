package io.falconmind.center.store;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.Event;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.falconmind.center.store.TestDb.await;
import static io.falconmind.center.store.TestDb.awaitFailure;
import static io.falconmind.center.store.TestDb.count;
import static org.assertj.core.api.Assertions.assertThat;

/** The embedded PostgreSQL's lifecycle: durability settings, data kept across restarts, failures. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class EmbeddedDatabaseIT {

  private static final CenterConfig.Missions MISSIONS = new CenterConfig.Missions(300, 3, 1000, 60000, 60, 3600, 1000);

  @Test
  void aDurableServerHasFsyncAndSynchronousCommitOn(Vertx vertx, @TempDir Path dir) {
    Database db = TestDb.open(vertx, dir, true);
    try {
      assertThat(db.embedded()).isTrue();
      assertThat(await(db.setting("fsync"))).isEqualTo("on");
      assertThat(await(db.setting("synchronous_commit"))).isEqualTo("on");
      assertThat(await(db.setting("full_page_writes"))).isEqualTo("on");
    } finally {
      await(db.close());
    }
  }

  @Test
  void keepsItsDataAcrossACloseAndReopen(Vertx vertx, @TempDir Path dir) {
    ControlScript script = StoreIT.busyDay();
    List<Event> events = script.applied().stream().flatMap(a -> a.events().stream()).toList();
    Database first = TestDb.open(vertx, dir, true);
    await(new BatchWriter(first.pool()).write(events));
    await(first.close());
    assertThat(Files.exists(dir.resolve("postgres").resolve("PG_VERSION"))).isTrue();

    Database second = TestDb.open(vertx, dir, true);
    try {
      assertThat(count(second, "events")).isEqualTo(events.size());
      assertThat(count(second, "schema_version")).isEqualTo(Migrations.fromClasspath().migrations().size());
      ControlSnapshot snapshot = await(second.loadSnapshot(script.now(), MISSIONS));
      assertThat(snapshot.seq()).isEqualTo(script.state().seq());
      assertThat(snapshot.missions()).hasSize(script.state().missions().size());
    } finally {
      await(second.close());
    }
  }

  @Test
  void queriesFailWith503OnceTheDatabaseIsGone(Vertx vertx, @TempDir Path dir) {
    Database db = TestDb.open(vertx, dir, false);
    String deployment = await(vertx.deployVerticle(new StoreVerticle(db, new CenterConfig.Store(100, false))));
    StoreClient client = new StoreClient(vertx);
    await(client.ping());

    await(db.close());

    assertThat(awaitFailure(client.ping())).isInstanceOfSatisfying(ReplyException.class,
        e -> assertThat(e.failureCode()).isEqualTo(503));
    await(vertx.undeploy(deployment));
  }

  @Test
  void closingTwiceIsHarmless(Vertx vertx, @TempDir Path dir) {
    Database db = TestDb.open(vertx, dir, false);

    await(db.close());
    await(db.close());
  }
}
