package io.falconmind.center.api;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.MissionSpec;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MissionSubmissionsTest {

  static final long NOW = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();
  final MissionSubmissions submissions = new MissionSubmissions(
      new CenterConfig.Missions(120, 4, 100, 1000, 60, 3600, 10), () -> NOW, () -> "id-1");

  @Test
  void fillsDefaultsFromTheConfiguration() {
    MissionSpec spec = submissions.toSpec(new JsonObject().put("type", "scan"), null, "");
    assertThat(spec.id()).isEqualTo("id-1");
    assertThat(spec.priority()).isEqualTo(50);
    assertThat(spec.timeoutSec()).isEqualTo(120);
    assertThat(spec.maxAttempts()).isEqualTo(4);
    assertThat(spec.payload()).isEqualTo(new JsonObject());
  }

  @Test
  void refusesADeadlineInThePast() {
    assertThatThrownBy(() -> submissions.toSpec(new JsonObject().put("type", "scan")
        .put("deadline", "2029-12-31T23:59:59Z"), null, "/missions/2"))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.errors().getJsonObject(0).getString("pointer")).isEqualTo("/missions/2/deadline");
        });
    MissionSpec ok = submissions.toSpec(new JsonObject().put("type", "scan").put("deadline", "2030-01-01T02:00:00+01:00"), null, "");
    assertThat(ok.deadline()).isEqualTo(NOW + 3_600_000);
  }

  @Test
  void hashesTheSameRequestTheSameWhetherTheKeyCameAsHeaderOrMember() {
    MissionSpec header = submissions.toSpec(new JsonObject().put("type", "scan"), "k", "");
    MissionSpec member = submissions.toSpec(new JsonObject().put("type", "scan").put("idempotencyKey", "k"), null, "");
    assertThat(header.idempotencyKey()).isEqualTo("k");
    assertThat(header.requestHash()).isEqualTo(member.requestHash());
    assertThatThrownBy(() -> submissions.toSpec(new JsonObject().put("type", "scan").put("idempotencyKey", "a"), "b", ""))
        .isInstanceOf(ApiException.class);
  }
}
