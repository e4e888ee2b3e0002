package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The binary forms of publications and sessions between nodes: round trips, and refusal of bad input. */
class BrokerCodecTest {

  private static Publication publication() {
    MqttProperties props = new MqttProperties();
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value(), 1));
    props.add(new MqttProperties.StringProperty(MqttPropertyType.CONTENT_TYPE.value(), "text/plain"));
    props.add(new MqttProperties.StringProperty(MqttPropertyType.RESPONSE_TOPIC.value(), "r/1"));
    props.add(new MqttProperties.BinaryProperty(MqttPropertyType.CORRELATION_DATA.value(), new byte[] {1, 2, 3}));
    MqttProperties.UserProperties users = new MqttProperties.UserProperties();
    users.add("k", "v");
    users.add("k", "w");
    props.add(users);
    return new Publication("a/b/ü", Buffer.buffer("payload".getBytes(StandardCharsets.UTF_8)), 2, true, props,
        1_234_567L, "client-1").routedFrom("node-2", 42);
  }

  @Test
  void aPublicationSurvivesTheRoundTrip() {
    Publication p = publication();
    Publication back = PublicationCodec.decode(PublicationCodec.encode(p));

    assertThat(back.topic()).isEqualTo("a/b/ü");
    assertThat(back.payload().toString(StandardCharsets.UTF_8)).isEqualTo("payload");
    assertThat(back.qos()).isEqualTo(2);
    assertThat(back.retain()).isTrue();
    assertThat(back.expiresAt()).isEqualTo(1_234_567L);
    assertThat(back.publisher()).isEqualTo("client-1");
    assertThat(back.properties().getProperty(MqttPropertyType.CONTENT_TYPE.value()).value()).isEqualTo("text/plain");
    assertThat(back.properties().getProperty(MqttPropertyType.RESPONSE_TOPIC.value()).value()).isEqualTo("r/1");
    assertThat((byte[]) back.properties().getProperty(MqttPropertyType.CORRELATION_DATA.value()).value())
        .containsExactly(1, 2, 3);
    assertThat((Integer) back.properties().getProperty(MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value()).value())
        .isEqualTo(1);
    assertThat(back.properties().getProperties(MqttPropertyType.USER_PROPERTY.value())).hasSize(2);
    assertThat(back.origin()).isEqualTo("node-2");
    assertThat(back.seq()).isEqualTo(42);
  }

  @Test
  void aPublicationWithoutPropertiesOrPublisherSurvivesTheRoundTrip() {
    Publication p = new Publication("t", Buffer.buffer(), 0, false, MqttProperties.NO_PROPERTIES, 0, null);
    Publication back = PublicationCodec.decode(PublicationCodec.encode(p));

    assertThat(back.topic()).isEqualTo("t");
    assertThat(back.payload().length()).isZero();
    assertThat(back.publisher()).isNull();
    assertThat(back.properties().isEmpty()).isTrue();
    assertThat(back.origin()).isNull();
  }

  @Test
  void aTruncatedOrCorruptPublicationIsRefused() {
    Buffer full = PublicationCodec.encode(publication());
    for (int cut = 0; cut < full.length(); cut++) {
      Buffer part = full.getBuffer(0, cut);
      assertThatThrownBy(() -> PublicationCodec.decode(part)).isInstanceOf(IllegalArgumentException.class);
    }
    Buffer negative = Buffer.buffer().appendInt(-7);
    assertThatThrownBy(() -> PublicationCodec.decode(negative)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSessionSurvivesTheRoundTrip() {
    Subscription plain = new Subscription("a/+", null, 1, true, false, 2, 7);
    Subscription shared = new Subscription("jobs/#", "workers", 2, false, true, 0, 0);
    BrokerSession.Outgoing owed = new BrokerSession.Outgoing(publication(), 1, false, List.of(7, 9));
    BrokerSession.Outgoing sent = new BrokerSession.Outgoing(publication(), 2, true, List.of());
    List<BrokerSession.Unacked> unacked = List.of(new BrokerSession.Unacked(17, false, sent),
        new BrokerSession.Unacked(65535, true, owed));
    SessionState back = SessionCodec.decode(SessionCodec.encode(
        new SessionState(List.of(plain, shared), unacked, List.of(owed), List.of(3, 4), 600, 42,
            Map.of("node-a", new long[] {5, 9}, "node-b", new long[0]))));

    assertThat(back.subscriptions()).containsExactly(plain, shared);
    assertThat(back.expirySec()).isEqualTo(600);
    assertThat(back.disconnectedAt()).isEqualTo(42);
    assertThat(back.owed()).hasSize(1);
    assertThat(back.owed().get(0).qos()).isEqualTo(1);
    assertThat(back.owed().get(0).identifiers()).containsExactly(7, 9);
    assertThat(back.owed().get(0).publication().topic()).isEqualTo("a/b/ü");
    assertThat(back.unacked()).extracting(BrokerSession.Unacked::packetId).containsExactly(17, 65535);
    assertThat(back.unacked()).extracting(BrokerSession.Unacked::released).containsExactly(false, true);
    assertThat(back.unacked().get(0).message().qos()).isEqualTo(2);
    assertThat(back.unacked().get(0).message().retain()).isTrue();
    assertThat(back.receivedQos2()).containsExactly(3, 4);
    assertThat(back.taken()).containsOnlyKeys("node-a", "node-b");
    assertThat(back.taken().get("node-a")).containsExactly(5, 9);
    assertThat(back.taken().get("node-b")).isEmpty();
  }

  @Test
  void aTruncatedSessionIsRefused() {
    Buffer full = SessionCodec.encode(new SessionState(List.of(new Subscription("x", null, 0, false, false, 0, 0)),
        List.of(new BrokerSession.Outgoing(publication(), 2, true, List.of())), -1, 0));
    for (int cut = 0; cut < full.length(); cut++) {
      Buffer part = full.getBuffer(0, cut);
      assertThatThrownBy(() -> SessionCodec.decode(part)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
