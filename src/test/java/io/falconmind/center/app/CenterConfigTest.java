package io.falconmind.center.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
  void aNodeIsStandaloneByDefaultWithARaftGroupOfOne() {
    CenterConfig c = load(null, Map.of(), Map.of());
    assertThat(c.cluster().enabled()).isFalse();
    assertThat(c.raft().voters()).isEqualTo(1);
    assertThat(c.raft().learners()).isZero();
    assertThat(c.node().portOffset()).isZero();
  }

  @Test
  void clusterDefaultsComeFromTheBundledConfiguration() {
    CenterConfig c = load(null, Map.of(), Map.of("cluster.enabled", "true"));
    assertThat(c.cluster()).isEqualTo(new CenterConfig.Cluster(true, "static",
        List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703"), "", "127.0.0.1", 5701,
        "127.0.0.1", 0, "127.0.0.1", 0, 3, 15));
    assertThat(c.raft().voters()).isEqualTo(3);
    assertThat(c.raft().learners()).isEqualTo(2);
  }

  @Test
  void thePortOffsetIsAddedToEveryPortExceptAnyFreePort() {
    CenterConfig c = load(null, Map.of("CENTER_NODE_PORT_OFFSET", "2"), Map.of("cluster.enabled", "true"));
    assertThat(c.node().portOffset()).isEqualTo(2);
    assertThat(c.http().port()).isEqualTo(8082);
    assertThat(c.mqtt().port()).isEqualTo(1885);
    assertThat(c.grpc().port()).isEqualTo(9092);
    assertThat(c.cluster().port()).isEqualTo(5703);
    assertThat(c.cluster().eventBusPort()).isZero();

    CenterConfig fixed = load(null, Map.of(), Map.of("node.portOffset", "1", "cluster.eventBusPort", "6000",
        "http.port", "0"));
    assertThat(fixed.cluster().eventBusPort()).isEqualTo(6001);
    assertThat(fixed.http().port()).isZero();
  }

  @Test
  void aPortPushedPastTheLastPortByTheOffsetIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("node.portOffset", "100", "http.port", "65500")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("http.port:").hasMessageContaining("node.portOffset");
  }

  @Test
  void membersComeAsACommaSeparatedEnvironmentVariableOrAYamlList(@TempDir Path dir) throws IOException {
    CenterConfig fromEnv = load(null, Map.of("CENTER_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701,,"), Map.of());
    assertThat(fromEnv.cluster().members()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");

    Path file = dir.resolve("center.yaml");
    Files.writeString(file, "cluster:\n  members:\n    - a.example:5701\n    - \"[fd00::1]:5702\"\n");
    assertThat(load(file, Map.of(), Map.of()).cluster().members()).containsExactly("a.example:5701", "[fd00::1]:5702");
  }

  @Test
  void eventBusAddressesDefaultToTheClusterHost() {
    CenterConfig c = load(null, Map.of(), Map.of("cluster.host", "10.1.2.3"));
    assertThat(c.cluster().eventBusHost()).isEqualTo("10.1.2.3");
    assertThat(c.cluster().publicHost()).isEqualTo("10.1.2.3");

    CenterConfig behindNat = load(null, Map.of(), Map.of("cluster.host", "10.1.2.3", "cluster.eventBusHost", "0.0.0.0",
        "cluster.publicHost", "203.0.113.7", "cluster.publicPort", "16000"));
    assertThat(behindNat.cluster().eventBusHost()).isEqualTo("0.0.0.0");
    assertThat(behindNat.cluster().publicHost()).isEqualTo("203.0.113.7");
    assertThat(behindNat.cluster().publicPort()).isEqualTo(16000);
  }

  @Test
  void badClusterSettingsAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("raft.voters", "2")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("raft.voters:").hasMessageContaining("1, 3 or 5");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("raft.voters", "7"))).hasMessageStartingWith("raft.voters:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("raft.learners", "3"))).hasMessageStartingWith("raft.learners:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("cluster.bootstrapExpect", "0")))
        .hasMessageStartingWith("cluster.bootstrapExpect:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("cluster.discovery", "multicast")))
        .hasMessageStartingWith("cluster.discovery:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("cluster.discovery", "kubernetes")))
        .hasMessageStartingWith("cluster.kubernetesServiceDns:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("cluster.host", "0.0.0.0")))
        .hasMessageStartingWith("cluster.host:").hasMessageContaining("0.0.0.0");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("cluster.eventBusHost", "0.0.0.0")))
        .hasMessageStartingWith("cluster.publicHost:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("cluster.members", "10.0.0.1:5701,10.0.0.2")))
        .hasMessageStartingWith("cluster.members:").hasMessageContaining("'10.0.0.2'");
    assertThatThrownBy(() -> load(null, Map.of("CENTER_CLUSTER_ENABLED", "maybe"), Map.of()))
        .hasMessageStartingWith("cluster.enabled:");
    assertThatThrownBy(() -> load(null, Map.of(), Map.of("cluster.voterGraceSec", "0")))
        .hasMessageStartingWith("cluster.voterGraceSec:");
  }

  @Test
  void kubernetesDiscoveryNamesTheHeadlessService() {
    CenterConfig c = load(null, Map.of("CENTER_CLUSTER_DISCOVERY", "kubernetes",
        "CENTER_CLUSTER_KUBERNETES_SERVICE_DNS", "center-hz.fleet.svc.cluster.local"), Map.of());
    assertThat(c.cluster().kubernetes()).isTrue();
    assertThat(c.cluster().kubernetesServiceDns()).isEqualTo("center-hz.fleet.svc.cluster.local");
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
