package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code $SYS/broker/...} topics a node publishes, from its counters and what it holds. */
class BrokerStatsTest {

  private final BrokerStats stats = new BrokerStats();

  private Map<String, String> topics(List<BrokerSession> sessions, int subscriptions, int retained, long atSecond) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Publication p : stats.sysTopics(sessions, subscriptions, retained, stats.startedAt + atSecond * 1000)) {
      assertThat(p.retain()).as(p.topic()).isTrue();
      out.put(p.topic().substring("$SYS/broker/".length()), p.payload().toString());
    }
    return out;
  }

  private static BrokerSession awayWith(String clientId, int queued) {
    BrokerSession s = new BrokerSession(clientId, 100, new BrokerStats());
    for (int i = 0; i < queued; i++) {
      Publication p = new Publication("t", Buffer.buffer("m" + i), 1, false, MqttProperties.NO_PROPERTIES, 0, "pub");
      s.offer(new BrokerSession.Outgoing(p, 1, false, List.of()));
    }
    return s;
  }

  @Test
  void clientsAreCountedConnectedAwayAtMostAndExpired() {
    stats.connected(1);
    stats.connected(1);
    stats.connected(1);
    stats.connected(-1);
    stats.sessionExpired();

    Map<String, String> sys = topics(List.of(awayWith("a", 0), awayWith("b", 0), awayWith("c", 0)), 0, 0, 10);

    assertThat(sys).containsEntry("clients/connected", "2").containsEntry("clients/total", "3")
        .containsEntry("clients/disconnected", "1").containsEntry("clients/maximum", "3")
        .containsEntry("clients/expired", "1");
  }

  @Test
  void storedMessagesAreThoseQueuedForSessionsAndTheRetainedOnes() {
    Map<String, String> sys = topics(List.of(awayWith("a", 3), awayWith("b", 4)), 5, 2, 10);

    assertThat(sys).containsEntry("messages/stored", "9").containsEntry("messages/inflight", "0")
        .containsEntry("subscriptions/count", "5").containsEntry("retained messages/count", "2");
  }

  @Test
  void loadIsGivenPerMinuteOverOneFiveAndFifteenMinutes() {
    for (int i = 0; i < 600; i++) stats.received(100);
    stats.connected(1);

    Map<String, String> sys = topics(List.of(), 0, 0, 10);

    assertThat(sys).containsEntry("load/messages/received/1min", String.format(java.util.Locale.ROOT, "%.2f",
        3_600 * (1 - Math.exp(-10.0 / 60))));
    assertThat(sys).containsKeys("load/messages/received/5min", "load/messages/received/15min",
        "load/messages/sent/1min", "load/bytes/received/1min", "load/bytes/sent/15min",
        "load/connections/1min", "load/publish/dropped/5min");
    assertThat(Double.parseDouble(sys.get("load/bytes/received/1min")))
        .isGreaterThan(Double.parseDouble(sys.get("load/bytes/received/5min")));
    assertThat(sys.get("load/messages/sent/1min")).isEqualTo("0.00");
  }

  @Test
  void theHeapInUseAndItsPeakAreGiven() {
    Map<String, String> sys = topics(List.of(), 0, 0, 10);

    assertThat(Long.parseLong(sys.get("heap/current"))).isPositive();
    assertThat(Long.parseLong(sys.get("heap/maximum"))).isGreaterThanOrEqualTo(Long.parseLong(sys.get("heap/current")));
    assertThat(sys.get("uptime")).isEqualTo("10 seconds");
  }
}
