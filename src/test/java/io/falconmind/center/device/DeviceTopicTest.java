package io.falconmind.center.device;

import io.falconmind.center.device.DeviceTopic.Kind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DeviceTopicTest {

  @Test
  void parsesEveryTopicOfTheProtocol() {
    assertThat(DeviceTopic.parse("devices/d1/profile", "d1").kind()).isEqualTo(Kind.PROFILE);
    assertThat(DeviceTopic.parse("devices/d1/telemetry", "d1").kind()).isEqualTo(Kind.TELEMETRY);
    assertThat(DeviceTopic.parse("devices/d1/errors", "d1").kind()).isEqualTo(Kind.ERRORS);
    assertThat(DeviceTopic.parse("devices/d1/missions/assign", "d1").kind()).isEqualTo(Kind.ASSIGN);
    DeviceTopic status = DeviceTopic.parse("devices/d1/missions/m-42/status", "d1");
    assertThat(status.kind()).isEqualTo(Kind.STATUS);
    assertThat(status.missionId()).isEqualTo("m-42");
    DeviceTopic cancel = DeviceTopic.parse("devices/d1/missions/m-42/cancel", "d1");
    assertThat(cancel.kind()).isEqualTo(Kind.CANCEL);
    assertThat(cancel.missionId()).isEqualTo("m-42");
  }

  @Test
  void anyOtherTopicUnderTheOwnPrefixIsUnknown() {
    assertThat(DeviceTopic.parse("devices/d1/whatever", "d1").kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(DeviceTopic.parse("devices/d1/profile/extra", "d1").kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(DeviceTopic.parse("devices/d1/missions//status", "d1").kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(DeviceTopic.parse("devices/d1/missions/m1/status/x", "d1").kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(DeviceTopic.parse("devices/d1/", "d1")).isNull();
  }

  @Test
  void topicsOfOtherDevicesOrOutsideTheTreeAreNotTheDevices() {
    assertThat(DeviceTopic.parse("devices/d2/profile", "d1")).isNull();
    assertThat(DeviceTopic.parse("devices/d1", "d1")).isNull();
    assertThat(DeviceTopic.parse("devices/d10/profile", "d1")).isNull();
    assertThat(DeviceTopic.parse("other/d1/profile", "d1")).isNull();
  }

  @Test
  void onlyDeviceToCenterTopicsArePublishable() {
    assertThat(Kind.PROFILE.fromDevice()).isTrue();
    assertThat(Kind.STATUS.fromDevice()).isTrue();
    assertThat(Kind.ASSIGN.fromDevice()).isFalse();
    assertThat(Kind.ERRORS.fromDevice()).isFalse();
  }

  @Test
  void buildsCenterToDeviceTopics() {
    assertThat(DeviceTopic.assign("d1")).isEqualTo("devices/d1/missions/assign");
    assertThat(DeviceTopic.cancel("d1", "m1")).isEqualTo("devices/d1/missions/m1/cancel");
    assertThat(DeviceTopic.errors("d1")).isEqualTo("devices/d1/errors");
  }
}
