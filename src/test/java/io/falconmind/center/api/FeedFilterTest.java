package io.falconmind.center.api;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FeedFilterTest {

  static FeedEntry event(String type, String mission, String device) {
    return new FeedEntry(1, type, mission, device, "{}");
  }

  @Test
  void matchesEveryPersistedEventWithoutFilters() {
    assertThat(FeedFilter.ALL.matches(event("device.online", null, "d1"))).isTrue();
  }

  @Test
  void matchesTypesExactlyOrByPrefixEndingInADot() {
    FeedFilter f = FeedFilter.parse("mission.,device.online", null, null);
    assertThat(f.matches(event("mission.assigned", "m", "d"))).isTrue();
    assertThat(f.matches(event("device.online", null, "d"))).isTrue();
    assertThat(f.matches(event("device.offline", null, "d"))).isFalse();
    assertThat(FeedFilter.parse("mission", null, null).matches(event("mission.assigned", "m", null))).isFalse();
  }

  @Test
  void narrowsByMissionAndDevice() {
    FeedFilter f = FeedFilter.parse(null, "m1", "d1");
    assertThat(f.matches(event("mission.assigned", "m1", "d1"))).isTrue();
    assertThat(f.matches(event("mission.assigned", "m2", "d1"))).isFalse();
    assertThat(f.matches(event("mission.assigned", "m1", "d2"))).isFalse();
  }

  @Test
  void sendsSoftSignalsOnlyWhenAskedFor() {
    FeedEntry telemetry = FeedEntry.soft("device.telemetry", new JsonObject().put("deviceId", "d1").put("battery", 80));
    assertThat(FeedFilter.ALL.matches(telemetry)).isFalse();
    assertThat(FeedFilter.parse("mission.", null, null).matches(telemetry)).isFalse();
    assertThat(FeedFilter.parse("device.telemetry", null, "d1").matches(telemetry)).isTrue();
    assertThat(FeedFilter.parse("device.", null, null).wantsSoft("device.telemetry")).isTrue();
    assertThat(new JsonObject(telemetry.text()).getBoolean("soft")).isTrue();
    assertThat(telemetry.soft()).isTrue();
  }
}
