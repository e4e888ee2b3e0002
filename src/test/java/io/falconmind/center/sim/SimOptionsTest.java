package io.falconmind.center.sim;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimOptionsTest {

  @Test
  void defaultsMatchTheDocumentedOnes() {
    SimOptions o = SimOptions.defaults();

    assertThat(o.api().toString()).isEqualTo("http://localhost:8080");
    assertThat(o.mqttHost()).isEqualTo("localhost");
    assertThat(o.mqttPort()).isEqualTo(1883);
    assertThat(o.token()).isNull();
    assertThat(o.dataDir()).isEqualTo(Path.of("data"));
    assertThat(o.prefix()).isEqualTo("sim");
    assertThat(o.kinds()).containsExactly("drone", "rover", "sensor");
    assertThat(o.capacity()).isEqualTo(1);
    assertThat(o.durationMs()).isEqualTo(2000);
    assertThat(o.progressSteps()).isEqualTo(3);
    assertThat(o.failRate()).isZero();
    assertThat(o.rejectRate()).isZero();
    assertThat(o.telemetryMs()).isEqualTo(1000);
    assertThat(o.runSec()).isZero();
    assertThat(o.submitRate()).isZero();
    assertThat(o.missionType()).isEqualTo("survey");
    assertThat(o.cleanSession()).isFalse();
  }

  @Test
  void parsesEveryOptionInBothSpellings() {
    SimOptions o = SimOptions.parse(new String[] {
        "--api", "http://10.0.0.5:18080", "--mqtt=10.0.0.5:11883", "--token", "t0k",
        "--data-dir", "/tmp/node", "--devices", "1000", "--prefix", "fleet", "--kinds", "rover",
        "--capacity", "3", "--duration-ms", "0", "--progress-steps", "5", "--fail-rate", "0.1",
        "--reject-rate", "0.05", "--battery-drain", "2", "--telemetry-ms", "250",
        "--area", "52.52,13.405,10", "--run-sec", "60", "--submit-rate", "12.5",
        "--mission-type", "inspect", "--clean-session", "--seed", "42"});

    assertThat(o.api().getPort()).isEqualTo(18080);
    assertThat(o.mqttHost()).isEqualTo("10.0.0.5");
    assertThat(o.mqttPort()).isEqualTo(11883);
    assertThat(o.token()).isEqualTo("t0k");
    assertThat(o.dataDir()).isEqualTo(Path.of("/tmp/node"));
    assertThat(o.devices()).isEqualTo(1000);
    assertThat(o.kinds()).containsExactly("rover");
    assertThat(o.capacity()).isEqualTo(3);
    assertThat(o.durationMs()).isZero();
    assertThat(o.progressSteps()).isEqualTo(5);
    assertThat(o.failRate()).isEqualTo(0.1);
    assertThat(o.rejectRate()).isEqualTo(0.05);
    assertThat(o.batteryDrain()).isEqualTo(2.0);
    assertThat(o.telemetryMs()).isEqualTo(250);
    assertThat(o.area()).isEqualTo(new SimOptions.Area(52.52, 13.405, 10));
    assertThat(o.runSec()).isEqualTo(60);
    assertThat(o.submitRate()).isEqualTo(12.5);
    assertThat(o.missionType()).isEqualTo("inspect");
    assertThat(o.cleanSession()).isTrue();
    assertThat(o.seed()).isEqualTo(42L);
  }

  @Test
  void numbersDeviceIdsFromOneAndWidensForLargeFleets() {
    assertThat(SimOptions.parse(new String[] {"--devices", "3"}).deviceId(0)).isEqualTo("sim-0001");
    assertThat(SimOptions.parse(new String[] {"--devices", "20000", "--prefix", "d"}).deviceId(19_999))
        .isEqualTo("d-20000");
  }

  @Test
  void takesKindsRoundRobinWithTheirDefaultCapabilities() {
    SimOptions o = SimOptions.parse(new String[] {"--devices", "4"});

    assertThat(List.of(o.kindOf(0), o.kindOf(1), o.kindOf(2), o.kindOf(3)))
        .containsExactly("drone", "rover", "sensor", "drone");
    assertThat(o.capabilitiesOf("drone")).containsExactly("camera", "gps", "flight");
    assertThat(o.capabilitiesOf("rover")).containsExactly("camera", "gps", "drive");
    assertThat(o.capabilitiesOf("sensor")).containsExactly("temperature", "humidity");
    assertThat(o.capabilitiesOf("computer")).isEmpty();
  }

  @Test
  void capabilitiesOverrideOnlyTheKindsNamed() {
    SimOptions o = SimOptions.parse(new String[] {"--capabilities", "drone=lidar+gps;computer=gpu"});

    assertThat(o.capabilitiesOf("drone")).containsExactly("lidar", "gps");
    assertThat(o.capabilitiesOf("computer")).containsExactly("gpu");
    assertThat(o.capabilitiesOf("rover")).containsExactly("camera", "gps", "drive");
  }

  @Test
  void refusesBadInputNamingTheOption() {
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--devices", "many"}))
        .isInstanceOf(SimOptions.UsageException.class).hasMessageContaining("--devices");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--devices", "0"}))
        .hasMessageContaining("--devices");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--fail-rate", "1.5"}))
        .hasMessageContaining("--fail-rate");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--area", "48,11"}))
        .hasMessageContaining("--area");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--api", "localhost:8080"}))
        .hasMessageContaining("--api");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--mqtt", "host:99999"}))
        .hasMessageContaining("--mqtt");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--devices"}))
        .hasMessageContaining("needs a value");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--colour", "red"}))
        .hasMessageContaining("unknown option --colour");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"devices"}))
        .hasMessageContaining("unexpected argument");
    assertThatThrownBy(() -> SimOptions.parse(new String[] {"--prefix", "a/b"}))
        .hasMessageContaining("--prefix");
  }

  @Test
  void usageListsEveryOption() {
    String usage = SimOptions.usage();
    for (String option : List.of("--api", "--mqtt", "--token", "--data-dir", "--devices", "--prefix",
        "--kinds", "--capabilities", "--capacity", "--duration-ms", "--progress-steps", "--fail-rate",
        "--reject-rate", "--battery-drain", "--telemetry-ms", "--area", "--run-sec", "--submit-rate",
        "--mission-type", "--help")) {
      assertThat(usage).contains(option);
    }
  }
}
