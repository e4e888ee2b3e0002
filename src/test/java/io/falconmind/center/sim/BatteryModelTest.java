package io.falconmind.center.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BatteryModelTest {

  @Test
  void eachMissionCostsItsDrain() {
    BatteryModel battery = new BatteryModel(50, 2.5, 1);

    battery.missionDone();
    battery.missionDone();

    assertThat(battery.level()).isEqualTo(45.0);
  }

  @Test
  void neverLeavesZeroToHundred() {
    BatteryModel battery = new BatteryModel(150, 30, 50);
    assertThat(battery.level()).isEqualTo(100.0);

    for (int i = 0; i < 5; i++) battery.missionDone();
    assertThat(battery.level()).isZero();

    battery.elapse(10_000, false);
    assertThat(battery.level()).isEqualTo(100.0);
  }

  @Test
  void idleDeviceAboveTheThresholdDoesNotCharge() {
    BatteryModel battery = new BatteryModel(60, 1, 5);

    battery.elapse(5_000, false);

    assertThat(battery.charging()).isFalse();
    assertThat(battery.level()).isEqualTo(60.0);
  }

  @Test
  void idleDeviceBelowTwentyChargesUntilFull() {
    BatteryModel battery = new BatteryModel(19, 1, 10);

    battery.elapse(1_000, false);
    assertThat(battery.charging()).isTrue();
    assertThat(battery.level()).isEqualTo(29.0);

    battery.elapse(5_000, false);
    assertThat(battery.level()).isEqualTo(79.0);
    assertThat(battery.charging()).as("keeps charging above 20 %").isTrue();

    battery.elapse(10_000, false);
    assertThat(battery.level()).isEqualTo(100.0);
    assertThat(battery.charging()).isFalse();
  }

  @Test
  void busyDeviceDoesNotCharge() {
    BatteryModel battery = new BatteryModel(10, 1, 10);

    battery.elapse(3_000, true);

    assertThat(battery.level()).isEqualTo(10.0);
  }

  @Test
  void refusesWorkOnlyWhenNearlyEmpty() {
    assertThat(new BatteryModel(5.1, 1, 1).canWork()).isTrue();
    assertThat(new BatteryModel(5.0, 1, 1).canWork()).isFalse();
  }
}
