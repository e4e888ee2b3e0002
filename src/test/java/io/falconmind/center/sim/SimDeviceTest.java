package io.falconmind.center.sim;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class SimDeviceTest {

  private FakeCenter center;
  private FleetStats stats;
  private SimDevice device;
  private Context context;

  private Future<Void> startDevice(Vertx vertx, String... args) {
    center = new FakeCenter(vertx);
    stats = new FleetStats();
    return center.start().map(port -> {
      String[] all = new String[args.length + 4];
      System.arraycopy(args, 0, all, 0, args.length);
      all[args.length] = "--mqtt";
      all[args.length + 1] = "127.0.0.1:" + port;
      all[args.length + 2] = "--telemetry-ms";
      all[args.length + 3] = "0";
      SimOptions options = SimOptions.parse(all);
      device = new SimDevice(vertx, options, stats, new Random(1), 0);
      context = vertx.getOrCreateContext();
      context.runOnContext(v -> device.start("secret-token"));
      return null;
    }).compose(v -> device.firstConnect());
  }

  @Test
  void connectsAsItselfSubscribesAndAnnouncesItsProfile(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--kinds", "rover", "--capacity", "2")
        .compose(v -> center.next(0, r -> r.topic().equals("devices/sim-0001/profile")))
        .onComplete(test.succeeding(profile -> test.verify(() -> {
          assertThat(center.credentials()).containsExactly("sim-0001|sim-0001|secret-token");
          assertThat(center.subscriptions().get(0)).containsExactlyInAnyOrder(
              "devices/sim-0001/missions/assign", "devices/sim-0001/missions/+/cancel",
              "devices/sim-0001/errors");
          assertThat(profile.body().getString("kind")).isEqualTo("rover");
          assertThat(profile.body().getJsonArray("capabilities").getList()).containsExactly("camera", "gps", "drive");
          assertThat(profile.body().getInteger("capacity")).isEqualTo(2);
          test.completeNow();
        })));
  }

  @Test
  void runsAnAssignmentToSuccessAndAnswersARepeatWithTheSameEnd(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--duration-ms", "0")
        .compose(v -> {
          center.assign("sim-0001", "m-1", 1);
          return center.next(0, FakeCenter.status("m-1", "SUCCEEDED"));
        })
        .compose(done -> {
          int mark = center.receivedCount();
          center.assign("sim-0001", "m-1", 1);
          return center.next(mark, FakeCenter.status("m-1", "SUCCEEDED")).map(again -> mark);
        })
        .onComplete(test.succeeding(mark -> test.verify(() -> {
          List<String> statuses = center.received().stream()
              .filter(r -> r.topic().endsWith("/m-1/status"))
              .map(r -> r.body().getString("status")).toList();
          assertThat(statuses).containsExactly("ACCEPTED", "SUCCEEDED", "SUCCEEDED");
          assertThat(center.received().get(mark).body().getInteger("attempt")).isEqualTo(1);
          assertThat(stats.succeeded()).isEqualTo(1);
          assertThat(stats.duplicates.sum()).isEqualTo(1);
          assertThat(stats.running()).isZero();
          test.completeNow();
        })));
  }

  @Test
  void reportsProgressWhileRunning(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--duration-ms", "200", "--progress-steps", "3")
        .compose(v -> {
          center.assign("sim-0001", "m-2", 1);
          return center.next(0, FakeCenter.status("m-2", "SUCCEEDED"));
        })
        .onComplete(test.succeeding(done -> test.verify(() -> {
          List<Integer> progress = center.received().stream()
              .filter(r -> r.topic().endsWith("/m-2/status") && "RUNNING".equals(r.body().getString("status")))
              .map(r -> r.body().getInteger("progress")).toList();
          assertThat(progress).containsExactly(0, 25, 50, 75);
          assertThat(done.body().getJsonObject("result").getString("device")).isEqualTo("sim-0001");
          test.completeNow();
        })));
  }

  @Test
  void stopsACanceledAttemptWithoutReportingAnEnd(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--duration-ms", "600", "--progress-steps", "0")
        .compose(v -> {
          center.assign("sim-0001", "m-3", 1);
          return center.next(0, FakeCenter.status("m-3", "RUNNING"));
        })
        .compose(running -> {
          center.cancel("sim-0001", "m-3", 1);
          return vertx.timer(1200);
        })
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertThat(center.received()).noneMatch(FakeCenter.status("m-3", "SUCCEEDED"));
          assertThat(stats.canceled()).isEqualTo(1);
          assertThat(stats.running()).isZero();
          test.completeNow();
        })));
  }

  @Test
  void rejectsEverythingAtRejectRateOne(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--reject-rate", "1")
        .compose(v -> {
          center.assign("sim-0001", "m-4", 2);
          return center.next(0, FakeCenter.status("m-4", "REJECTED"));
        })
        .onComplete(test.succeeding(rejected -> test.verify(() -> {
          assertThat(rejected.body().getInteger("attempt")).isEqualTo(2);
          assertThat(rejected.body().getJsonObject("error").getBoolean("retryable")).isTrue();
          assertThat(stats.rejected()).isEqualTo(1);
          test.completeNow();
        })));
  }

  @Test
  void reconnectsAfterTheConnectionDropsAndResubscribes(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--duration-ms", "0")
        .compose(v -> {
          int mark = center.receivedCount();
          center.dropConnection();
          return center.next(mark, r -> r.topic().equals("devices/sim-0001/profile"));
        })
        .compose(profile -> {
          center.assign("sim-0001", "m-5", 1);
          return center.next(0, FakeCenter.status("m-5", "SUCCEEDED"));
        })
        .onComplete(test.succeeding(done -> test.verify(() -> {
          assertThat(center.credentials()).hasSize(2);
          assertThat(center.subscriptions()).hasSize(2);
          assertThat(stats.reconnects.sum()).isEqualTo(1);
          assertThat(stats.connected()).isEqualTo(1);
          test.completeNow();
        })));
  }

  @Test
  void reportsAnEndReachedWhileDisconnectedOnceItIsBack(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--duration-ms", "100", "--progress-steps", "0")
        .compose(v -> {
          center.assign("sim-0001", "m-6", 1);
          return center.next(0, FakeCenter.status("m-6", "ACCEPTED"));
        })
        .compose(accepted -> {
          center.dropConnection();
          return center.next(0, r -> center.credentials().size() == 2 && FakeCenter.status("m-6", "SUCCEEDED").test(r));
        })
        .onComplete(test.succeeding(done -> test.verify(() -> {
          assertThat(done.body().getInteger("attempt")).isEqualTo(1);
          assertThat(stats.succeeded()).isEqualTo(1);
          test.completeNow();
        })));
  }

  @Test
  void failsEverythingAtFailRateOneHalfOfItRetryable(Vertx vertx, VertxTestContext test) {
    startDevice(vertx, "--duration-ms", "0", "--fail-rate", "1", "--capacity", "20")
        .compose(v -> {
          for (int i = 0; i < 20; i++) center.assign("sim-0001", "f-" + i, 1);
          return center.next(0, FakeCenter.status("f-19", "FAILED"));
        })
        .onComplete(test.succeeding(last -> test.verify(() -> {
          List<Boolean> retryable = center.received().stream()
              .filter(r -> "FAILED".equals(r.body().getString("status")))
              .map(r -> r.body().getJsonObject("error").getBoolean("retryable")).toList();
          assertThat(retryable).hasSize(20).contains(true, false);
          assertThat(stats.failed()).isEqualTo(20);
          assertThat(stats.succeeded()).isZero();
          test.completeNow();
        })));
  }
}
