package io.falconmind.center.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PacketSize} against what Netty's MQTT encoder writes. */
class PacketSizeTest {

  private static int encoded(String topic, int payloadBytes, int qos, MqttProperties props, boolean v5) {
    EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
    // the attribute Netty's codec keeps the protocol version in
    channel.attr(AttributeKey.<MqttVersion>valueOf("NETTY_CODEC_MQTT_VERSION")).set(v5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1);
    MqttPublishMessage m = new MqttPublishMessage(
        new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.valueOf(qos), false, 0),
        new MqttPublishVariableHeader(topic, qos > 0 ? 7 : -1, props), Unpooled.wrappedBuffer(new byte[payloadBytes]));
    channel.writeOutbound(m);
    int size = 0;
    ByteBuf out;
    while ((out = channel.readOutbound()) != null) {
      size += out.readableBytes();
      out.release();
    }
    channel.finishAndReleaseAll();
    return size;
  }

  private static void sameAsEncoded(String topic, int payloadBytes, int qos, MqttProperties props, boolean v5) {
    assertThat(PacketSize.publish(topic, payloadBytes, qos, props, v5))
        .as("%s, %d bytes, QoS %d, v5 %s", topic, payloadBytes, qos, v5)
        .isEqualTo(encoded(topic, payloadBytes, qos, props, v5));
  }

  @Test
  void aBarePublishAtEveryQosAndLengthBoundary() {
    for (int qos = 0; qos <= 2; qos++) {
      for (int payload : new int[] {0, 1, 120, 127, 128, 16_000, 16_384, 70_000, 2_100_000}) {
        sameAsEncoded("a/b", payload, qos, MqttProperties.NO_PROPERTIES, true);
        sameAsEncoded("a/b", payload, qos, MqttProperties.NO_PROPERTIES, false);
      }
    }
  }

  @Test
  void everyPropertyAPublishCarriesAndMultiByteTopics() {
    MqttProperties props = new MqttProperties();
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value(), 1));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value(), 3600));
    props.add(new MqttProperties.StringProperty(MqttPropertyType.CONTENT_TYPE.value(), "application/json"));
    props.add(new MqttProperties.StringProperty(MqttPropertyType.RESPONSE_TOPIC.value(), "réponse/ø"));
    props.add(new MqttProperties.BinaryProperty(MqttPropertyType.CORRELATION_DATA.value(), new byte[] {1, 2, 3}));
    props.add(new MqttProperties.UserProperty("k", "v"));
    props.add(new MqttProperties.UserProperty("ключ", "значение"));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value(), 5));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value(), 200_000));
    sameAsEncoded("sensors/温度/\uD83D\uDE00", 10, 1, props, true);
    sameAsEncoded("sensors/温度/\uD83D\uDE00", 10, 1, props, false);
  }
}
