package io.falconmind.center.app;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HazelcastSetupTest {

  private static CenterConfig config(Map<String, String> overrides) {
    Map<String, String> settings = new HashMap<>(Map.of("cluster.enabled", "true"));
    settings.putAll(overrides);
    return CenterConfig.from(Settings.load(null, Map.of(), settings));
  }

  @Test
  void staticDiscoveryJoinsOverTcpIpWithTheConfiguredMembers() {
    CenterConfig c = config(Map.of("cluster.members", "10.0.0.1:5701,10.0.0.2:5701", "cluster.host", "10.0.0.1"));
    Config hz = HazelcastSetup.hazelcastConfig(c.cluster());

    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
    assertThat(hz.getClusterName()).isEqualTo("falconmind");
  }

  @Test
  void kubernetesDiscoveryLooksUpTheHeadlessServiceInDns() {
    CenterConfig c = config(Map.of("cluster.discovery", "kubernetes",
        "cluster.kubernetesServiceDns", "center-hz.fleet.svc.cluster.local", "cluster.host", "10.244.0.7"));
    JoinConfig join = HazelcastSetup.hazelcastConfig(c.cluster()).getNetworkConfig().getJoin();

    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("center-hz.fleet.svc.cluster.local");
    assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo("5701");
  }

  @Test
  void bindsAndAdvertisesTheClusterAddressOnOnePortWithTheOffset() {
    CenterConfig c = config(Map.of("node.portOffset", "2", "cluster.host", "127.0.0.12"));
    Config hz = HazelcastSetup.hazelcastConfig(c.cluster());

    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(5703);
    assertThat(hz.getNetworkConfig().isPortAutoIncrement()).isFalse();
    assertThat(hz.getProperty("hazelcast.local.localAddress")).isEqualTo("127.0.0.12");
    assertThat(hz.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
  }

  @Test
  void toleratesAFrozenMemberAndLeavesTheShutdownOrderToTheNode() {
    Config hz = HazelcastSetup.hazelcastConfig(config(Map.of()).cluster());

    assertThat(hz.getProperty("hazelcast.logging.type")).isEqualTo("slf4j");
    assertThat(hz.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(hz.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
    assertThat(hz.getProperty("hazelcast.heartbeat.interval.seconds")).isEqualTo("1");
    assertThat(hz.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("15");
    assertThat(hz.getProperty("hazelcast.merge.first.run.delay.seconds")).isEqualTo("5");
    assertThat(hz.getProperty("hazelcast.merge.next.run.delay.seconds")).isEqualTo("5");
  }

  @Test
  void nodesStartedTogetherAgreeOnAMasterWithinSeconds() {
    Config hz = HazelcastSetup.hazelcastConfig(config(Map.of()).cluster());

    assertThat(hz.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("1");
    assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().getConnectionTimeoutSeconds()).isEqualTo(2);
  }

  @Test
  void keepsTheMapsTheClusteredEventBusNeedsFromVertxDefaults() {
    Config hz = HazelcastSetup.hazelcastConfig(config(Map.of()).cluster());

    assertThat(hz.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(hz.getMapConfigs()).containsKeys("__vertx.haInfo", "__vertx.nodeInfo");
  }

  @Test
  void theEventBusIsReachedAtThePublicAddressAndCarriesTheNodeMetadata() {
    CenterConfig c = config(Map.of("cluster.host", "10.0.0.5", "cluster.eventBusHost", "0.0.0.0",
        "cluster.eventBusPort", "16000", "cluster.publicHost", "203.0.113.7", "cluster.publicPort", "26000",
        "node.portOffset", "1"));
    JsonObject metadata = HazelcastSetup.nodeMetadata("node-a", c);
    EventBusOptions options = HazelcastSetup.eventBusOptions(c.cluster(), metadata);

    assertThat(options.getHost()).isEqualTo("0.0.0.0");
    assertThat(options.getPort()).isEqualTo(16001);
    assertThat(options.getClusterPublicHost()).isEqualTo("203.0.113.7");
    assertThat(options.getClusterPublicPort()).isEqualTo(26000);
    assertThat(options.getClusterNodeMetadata()).isEqualTo(metadata);
    // HTTP listens on every interface: the others reach it at the public address.
    assertThat(metadata).isEqualTo(new JsonObject().put("nodeId", "node-a").put("http", "203.0.113.7:8081")
        .put("mqtt", 1884));
  }

  @Test
  void theMetadataNamesTheHttpHostWhenItIsAConcreteAddress() {
    CenterConfig c = config(Map.of("http.host", "127.0.0.1"));
    assertThat(HazelcastSetup.nodeMetadata("node-b", c).getString("http")).isEqualTo("127.0.0.1:8080");
  }
}
