package io.falconmind.center.mqtt;

import io.falconmind.center.broker.Publication;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.vertx.core.buffer.Buffer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The MQTT 5 properties of a PUBLISH as the broker takes them in and passes them on. */
final class PublishProperties {

  private PublishProperties() {
  }

  /** The properties of a delivery: the publisher's, the expiry left and the matching subscription identifiers. */
  static MqttProperties outgoingProperties(Publication p, List<Integer> identifiers) {
    long remaining = p.remainingSeconds(System.currentTimeMillis());
    if (identifiers.isEmpty() && remaining == 0) return p.properties();
    MqttProperties props = new MqttProperties();
    for (MqttProperties.MqttProperty<?> prop : p.properties().listAll()) props.add(prop);
    if (remaining > 0) props.add(new MqttProperties.IntegerProperty(MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value(), (int) remaining));
    for (int id : identifiers) props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value(), id));
    return props;
  }

  /** The properties a subscriber gets as the publisher set them (MQTT 5 §3.3.2.3). */
  static MqttProperties forwarded(MqttProperties in) {
    if (in == null || in.isEmpty()) return MqttProperties.NO_PROPERTIES;
    MqttProperties out = new MqttProperties();
    for (MqttProperties.MqttProperty<?> p : in.listAll()) {
      int id = p.propertyId();
      if (id == MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value() || id == MqttPropertyType.CONTENT_TYPE.value()
          || id == MqttPropertyType.RESPONSE_TOPIC.value() || id == MqttPropertyType.CORRELATION_DATA.value()
          || id == MqttPropertyType.USER_PROPERTY.value()) {
        out.add(p);
      }
    }
    return out.isEmpty() ? MqttProperties.NO_PROPERTIES : out;
  }

  /** When a publication with these properties expires (epoch ms); 0 for never. */
  static long expiresAt(MqttProperties props) {
    if (props == null) return 0;
    MqttProperties.MqttProperty<?> p = props.getProperty(MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value());
    return p == null ? 0 : System.currentTimeMillis() + Integer.toUnsignedLong((Integer) p.value()) * 1000;
  }

  /** Whether the publisher declared the payload UTF-8 text (payload format indicator 1). */
  static boolean utf8Declared(MqttProperties props) {
    MqttProperties.MqttProperty<?> p = props.getProperty(MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value());
    return p != null && (Integer) p.value() == 1;
  }

  static boolean validUtf8(Buffer payload) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload.getBytes()));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
