package io.falconmind.center.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;

/**
 * The encoded size of an outgoing PUBLISH, to compare with the maximum packet size a client
 * announced (MQTT 5 §3.1.2.11.4), without encoding it.
 */
final class PacketSize {

  private PacketSize() {
  }

  /** Bytes of a PUBLISH, fixed header included; {@code properties} only count for MQTT 5. */
  static int publish(String topic, int payloadBytes, int qos, MqttProperties properties, boolean v5) {
    int remaining = 2 + utf8Length(topic) + (qos > 0 ? 2 : 0) + payloadBytes;
    if (v5) {
      int props = properties(properties);
      remaining += varIntLength(props) + props;
    }
    return 1 + varIntLength(remaining) + remaining;
  }

  /** Bytes of a property list without its length prefix. */
  static int properties(MqttProperties properties) {
    int n = 0;
    for (MqttProperties.MqttProperty<?> p : properties.listAll()) {
      if (p instanceof MqttProperties.UserProperties users) {
        for (MqttProperties.StringPair pair : users.value()) {
          n += 1 + 2 + utf8Length(pair.key) + 2 + utf8Length(pair.value);
        }
      } else if (p instanceof MqttProperties.UserProperty user) {
        n += 1 + 2 + utf8Length(user.value().key) + 2 + utf8Length(user.value().value);
      } else if (p instanceof MqttProperties.StringProperty s) {
        n += 1 + 2 + utf8Length(s.value());
      } else if (p instanceof MqttProperties.BinaryProperty b) {
        n += 1 + 2 + b.value().length;
      } else if (p instanceof MqttProperties.IntegerProperty i) {
        n += 1 + integerBytes(p.propertyId(), i.value());
      }
    }
    return n;
  }

  private static int integerBytes(int id, int value) {
    MqttPropertyType type = MqttPropertyType.valueOf(id);
    switch (type) {
      case PAYLOAD_FORMAT_INDICATOR:
      case REQUEST_PROBLEM_INFORMATION:
      case REQUEST_RESPONSE_INFORMATION:
      case MAXIMUM_QOS:
      case RETAIN_AVAILABLE:
      case WILDCARD_SUBSCRIPTION_AVAILABLE:
      case SUBSCRIPTION_IDENTIFIER_AVAILABLE:
      case SHARED_SUBSCRIPTION_AVAILABLE:
        return 1;
      case SERVER_KEEP_ALIVE:
      case RECEIVE_MAXIMUM:
      case TOPIC_ALIAS_MAXIMUM:
      case TOPIC_ALIAS:
        return 2;
      case SUBSCRIPTION_IDENTIFIER:
        return varIntLength(value);
      default:
        return 4;
    }
  }

  static int varIntLength(int value) {
    if (value < 128) return 1;
    if (value < 16_384) return 2;
    if (value < 2_097_152) return 3;
    return 4;
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
