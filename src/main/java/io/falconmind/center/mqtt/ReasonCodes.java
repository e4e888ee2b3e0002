package io.falconmind.center.mqtt;

import io.falconmind.center.device.DeviceProtocolException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;

import java.io.IOException;

/**
 * The one place that decides how a refusal or a closed connection shows on the wire, per protocol
 * version (3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5). Pure.
 */
final class ReasonCodes {

  static final int MQTT_5 = 5;

  /** Why a CONNECT is refused. */
  enum ConnectRefusal {
    /** A username without a password. */
    MISSING_CREDENTIALS,
    /** No device with that id. */
    UNKNOWN_DEVICE,
    /** The token does not match the device's. */
    BAD_TOKEN,
    /** Client id and username differ. */
    CLIENT_ID_MISMATCH,
    /** The control plane could not be asked. */
    SERVER_UNAVAILABLE,
    /** No username while anonymous clients are not allowed. */
    NOT_AUTHORIZED,
    /** The node holds {@code mqtt.maxConnections} connections already. */
    QUOTA_EXCEEDED
  }

  /** Why the server ends a connection. */
  enum CloseReason {
    /** The client sent DISCONNECT or closed the connection, or missed its keep-alive. */
    CONNECTION_LOST,
    /** A newer connection of the same client on this node. */
    TAKEN_OVER,
    /** The device opened a session on another node. */
    TAKEN_OVER_ELSEWHERE,
    /** The device was removed by an operator. */
    DEVICE_REMOVED,
    /** A packet above the decoder limit. */
    PACKET_TOO_LARGE,
    /** A packet that does not decode. */
    MALFORMED_PACKET,
    /** A packet that decodes but breaks the protocol (empty topic, unsupported topic alias). */
    PROTOCOL_ERROR,
    /** The control plane cannot confirm the session. */
    SERVER_UNAVAILABLE,
    /** This server instance stops. */
    SHUTTING_DOWN,
    /** A failure of ours while handling a packet. */
    INTERNAL_ERROR,
    /** Broker: a PUBLISH topic name with a wildcard, NUL or nothing. */
    TOPIC_NAME_INVALID,
    /** Broker: a topic alias of 0, above the maximum, or unknown. */
    TOPIC_ALIAS_INVALID,
    /** Broker: more unreleased QoS 2 messages than the Receive Maximum the server announced. */
    RECEIVE_MAXIMUM_EXCEEDED,
    /** Broker: more PUBLISH packets per second than {@code mqtt.maxPublishRate}. */
    MESSAGE_RATE_TOO_HIGH
  }

  private ReasonCodes() {
  }

  static MqttConnectReturnCode connack(ConnectRefusal refusal, int version) {
    boolean v5 = version >= MQTT_5;
    switch (refusal) {
      case CLIENT_ID_MISMATCH:
        return v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
            : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
      case SERVER_UNAVAILABLE:
        return v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5
            : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
      case NOT_AUTHORIZED:
        return v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
            : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
      case QUOTA_EXCEEDED:
        return v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_QUOTA_EXCEEDED
            : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
      default:
        return v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
            : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
    }
  }

  /**
   * The MQTT 5 PUBACK reason for a refused device message ({@link DeviceProtocolException} code or
   * a state-machine refusal code). MQTT 3.1.1 has no refusal in PUBACK: the message is
   * acknowledged and the refusal goes to {@code devices/{id}/errors} only.
   */
  static MqttPubAckReasonCode puback(String code) {
    switch (code) {
      case DeviceProtocolException.NOT_AUTHORIZED: return MqttPubAckReasonCode.NOT_AUTHORIZED;
      case DeviceProtocolException.UNKNOWN_TOPIC: return MqttPubAckReasonCode.TOPIC_NAME_INVALID;
      case DeviceProtocolException.MALFORMED_JSON:
      case DeviceProtocolException.MISSING_FIELD:
      case DeviceProtocolException.INVALID_FIELD: return MqttPubAckReasonCode.PAYLOAD_FORMAT_INVALID;
      case DeviceProtocolException.PAYLOAD_TOO_LARGE: return MqttPubAckReasonCode.QUOTA_EXCEEDED;
      default: return MqttPubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR;
    }
  }

  /** Why a subscription is refused. */
  enum SubscribeRefusal {
    NOT_AUTHORIZED, FILTER_INVALID, SHARED_NOT_SUPPORTED
  }

  static MqttSubAckReasonCode suback(SubscribeRefusal refusal, int version) {
    if (version < MQTT_5) return MqttSubAckReasonCode.UNSPECIFIED_ERROR; // 0x80, the only 3.1.1 failure
    switch (refusal) {
      case NOT_AUTHORIZED: return MqttSubAckReasonCode.NOT_AUTHORIZED;
      case SHARED_NOT_SUPPORTED: return MqttSubAckReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED;
      default: return MqttSubAckReasonCode.TOPIC_FILTER_INVALID;
    }
  }

  static MqttQoS subackV3(MqttSubAckReasonCode code) {
    int value = code.value() & 0xff;
    return value <= 2 ? MqttQoS.valueOf(value) : MqttQoS.FAILURE;
  }

  /** The DISCONNECT reason an MQTT 5 client is sent, or null when the connection just closes. */
  static MqttDisconnectReasonCode disconnect(CloseReason reason) {
    switch (reason) {
      case TAKEN_OVER:
      case TAKEN_OVER_ELSEWHERE: return MqttDisconnectReasonCode.SESSION_TAKEN_OVER;
      case DEVICE_REMOVED: return MqttDisconnectReasonCode.ADMINISTRATIVE_ACTION;
      case PACKET_TOO_LARGE: return MqttDisconnectReasonCode.PACKET_TOO_LARGE;
      case MALFORMED_PACKET: return MqttDisconnectReasonCode.MALFORMED_PACKET;
      case PROTOCOL_ERROR: return MqttDisconnectReasonCode.PROTOCOL_ERROR;
      case SERVER_UNAVAILABLE: return MqttDisconnectReasonCode.SERVER_BUSY;
      case SHUTTING_DOWN: return MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN;
      case INTERNAL_ERROR: return MqttDisconnectReasonCode.IMPLEMENTATION_SPECIFIC_ERROR;
      case TOPIC_NAME_INVALID: return MqttDisconnectReasonCode.TOPIC_NAME_INVALID;
      case TOPIC_ALIAS_INVALID: return MqttDisconnectReasonCode.TOPIC_ALIAS_INVALID;
      case RECEIVE_MAXIMUM_EXCEEDED: return MqttDisconnectReasonCode.RECEIVE_MAXIMUM_EXCEEDED;
      case MESSAGE_RATE_TOO_HIGH: return MqttDisconnectReasonCode.MESSAGE_RATE_TOO_HIGH;
      default: return null;
    }
  }

  /** Why a connection whose pipeline failed with {@code t} is closed. */
  static CloseReason closeReasonOf(Throwable t) {
    if (t instanceof TooLongFrameException || t.getCause() instanceof TooLongFrameException) return CloseReason.PACKET_TOO_LARGE;
    if (t instanceof DecoderException) return CloseReason.MALFORMED_PACKET;
    if (t instanceof IOException) return CloseReason.CONNECTION_LOST;
    return CloseReason.INTERNAL_ERROR;
  }

  /** Whether the closed session's device stays online (another session replaced it). */
  static boolean takenOver(CloseReason reason) {
    return reason == CloseReason.TAKEN_OVER || reason == CloseReason.TAKEN_OVER_ELSEWHERE;
  }

  /** Whether a persistent session may be kept for the client's return. */
  static boolean keepsSession(CloseReason reason) {
    return reason != CloseReason.DEVICE_REMOVED && reason != CloseReason.TAKEN_OVER_ELSEWHERE;
  }
}
