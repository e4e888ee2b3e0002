package io.falconmind.center.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged node refuses a bad setting at start, naming the key, and exits non-zero. */
@Timeout(120)
class StartupIT {

  @Test
  void aBadSettingStopsTheNodeWithAMessageNamingTheKey(@TempDir Path dir) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", Path.of("target", "cluster-center.jar").toAbsolutePath().toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("CENTER_"));
    pb.environment().put("CENTER_NODE_DATA_DIR", dir.resolve("data").toString());
    pb.environment().put("CENTER_MQTT_OFFLINE_GRACE_SEC", "soon");
    pb.directory(dir.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(out).contains("mqtt.offlineGraceSec").contains("soon");
  }

  @Test
  void aSecondNodeOnTheSameDataDirectoryRefusesToStartAndLeavesTheFirstAlone(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    try (NodeProcess first = NodeProcess.start(data, TestNode.freePort(), TestNode.freePort(), java.util.Map.of())) {
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", Path.of("target", "cluster-center.jar").toAbsolutePath().toString());
      pb.environment().keySet().removeIf(k -> k.startsWith("CENTER_"));
      pb.environment().put("CENTER_NODE_DATA_DIR", data.toString());
      pb.environment().put("CENTER_HTTP_PORT", String.valueOf(TestNode.freePort()));
      pb.environment().put("CENTER_MQTT_PORT", String.valueOf(TestNode.freePort()));
      pb.directory(dir.toFile()).redirectErrorStream(true);
      Process second = pb.start();
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(second.exitValue()).isEqualTo(2);
      assertThat(out).contains("node.dataDir").contains("in use by another running node");
      assertThat(first.api.get("/health/ready").status()).isEqualTo(200);
      assertThat(first.api.get("/api/v1/devices").status()).isEqualTo(200);
    }
  }
}
