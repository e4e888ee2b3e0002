package io.falconmind.center.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CenterConfigTest {

  private static CenterConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
    return CenterConfig.from(Settings.load(file, env, overrides));
  }

  @Test
  void defaultsComeFromTheBundledConfiguration() {
    CenterConfig c = load(null, Map.of(), Map.of());
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.mqtt().port()).isEqualTo(1883);
    assertThat(c.grpc().port()).isEqualTo(9090);
    assertThat(c.postgres().embedded()).isTrue();
    assertThat(c.node().dataDir()).isEqualTo(Path.of("data"));
    assertThat(c.auth().adminToken()).isEmpty();
  }

  @Test
  void environmentVariablesOverrideTheFileAndExplicitSettingsOverrideBoth(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("center.yaml");
    Files.writeString(file, "http:\n  port: 9000\nnode:\n  dataDir: /var/lib/center\n");
    CenterConfig c = load(file, Map.of("CENTER_HTTP_PORT", "9100", "CENTER_AUTH_ADMIN_TOKEN", "s3cret",
        "CENTER_NODE_DATA_DIR", "/srv/center"), Map.of("mqtt.port", "2883"));
    assertThat(c.http().port()).isEqualTo(9100);
    assertThat(c.auth().adminToken()).isEqualTo("s3cret");
    assertThat(c.node().dataDir()).isEqualTo(Path.of("/srv/center"));
    assertThat(c.mqtt().port()).isEqualTo(2883);
  }

  @Test
  void namesEnvironmentVariablesAfterTheKeys() {
    assertThat(Settings.envName("auth.adminToken")).isEqualTo("CENTER_AUTH_ADMIN_TOKEN");
    assertThat(Settings.envName("node.dataDir")).isEqualTo("CENTER_NODE_DATA_DIR");
    assertThat(Settings.envName("mqtt.offlineGraceSec")).isEqualTo("CENTER_MQTT_OFFLINE_GRACE_SEC");
  }

  @Test
  void aBadValueIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> load(null, Map.of("CENTER_HTTP_PORT", "eighty"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("http.port:").hasMessageContaining("eighty");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("mqtt.port", "70000")))
        .hasMessageStartingWith("mqtt.port:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("postgres.url", "mysql://db/x")))
        .hasMessageStartingWith("postgres.url:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("scheduler.strategy", "random")))
        .hasMessageStartingWith("scheduler.strategy:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("store.durable", "yes please")))
        .hasMessageStartingWith("store.durable:");
  }

  @Test
  void anUnknownKeyInTheFileIsRefused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("center.yaml");
    Files.writeString(file, "http:\n  prot: 8081\n");
    assertThatThrownBy(() -> load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("http.prot: unknown setting");
  }

  @Test
  void invalidYamlIsRefused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("center.yaml");
    Files.writeString(file, "http: [port\n");
    assertThatThrownBy(() -> load(file, Map.of(), Map.of())).isInstanceOf(ConfigException.class)
        .hasMessageContaining("not valid YAML");
  }
}
