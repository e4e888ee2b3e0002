package io.falconmind.center.mqtt;

import io.falconmind.center.device.DeviceProtocolException;
import io.falconmind.center.mqtt.ReasonCodes.CloseReason;
import io.falconmind.center.mqtt.ReasonCodes.ConnectRefusal;
import io.falconmind.center.mqtt.ReasonCodes.SubscribeRefusal;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReasonCodesTest {

  @Test
  void connackCodesPerVersion() {
    assertThat(ReasonCodes.connack(ConnectRefusal.BAD_TOKEN, 4).byteValue()).isEqualTo((byte) 0x04);
    assertThat(ReasonCodes.connack(ConnectRefusal.UNKNOWN_DEVICE, 4).byteValue()).isEqualTo((byte) 0x04);
    assertThat(ReasonCodes.connack(ConnectRefusal.MISSING_CREDENTIALS, 4).byteValue()).isEqualTo((byte) 0x04);
    assertThat(ReasonCodes.connack(ConnectRefusal.CLIENT_ID_MISMATCH, 4).byteValue()).isEqualTo((byte) 0x05);
    assertThat(ReasonCodes.connack(ConnectRefusal.BAD_TOKEN, 5).byteValue()).isEqualTo((byte) 0x86);
    assertThat(ReasonCodes.connack(ConnectRefusal.CLIENT_ID_MISMATCH, 5).byteValue()).isEqualTo((byte) 0x87);
    assertThat(ReasonCodes.connack(ConnectRefusal.NOT_AUTHORIZED, 4).byteValue()).isEqualTo((byte) 0x05);
    assertThat(ReasonCodes.connack(ConnectRefusal.NOT_AUTHORIZED, 5).byteValue()).isEqualTo((byte) 0x87);
    assertThat(ReasonCodes.connack(ConnectRefusal.SERVER_UNAVAILABLE, 5).byteValue()).isEqualTo((byte) 0x88);
  }

  @Test
  void pubackCodesForRefusedMessages() {
    assertThat(ReasonCodes.puback(DeviceProtocolException.NOT_AUTHORIZED).value()).isEqualTo((byte) 0x87);
    assertThat(ReasonCodes.puback(DeviceProtocolException.UNKNOWN_TOPIC).value()).isEqualTo((byte) 0x90);
    assertThat(ReasonCodes.puback(DeviceProtocolException.MALFORMED_JSON).value()).isEqualTo((byte) 0x99);
    assertThat(ReasonCodes.puback(DeviceProtocolException.INVALID_FIELD).value()).isEqualTo((byte) 0x99);
    assertThat(ReasonCodes.puback("attempt-not-open").value()).isEqualTo((byte) 0x83);
  }

  @Test
  void subackRefusals() {
    assertThat(ReasonCodes.suback(SubscribeRefusal.NOT_AUTHORIZED, 5).value()).isEqualTo((byte) 0x87);
    assertThat(ReasonCodes.suback(SubscribeRefusal.NOT_AUTHORIZED, 4).value()).isEqualTo((byte) 0x80);
    assertThat(ReasonCodes.subackV3(ReasonCodes.suback(SubscribeRefusal.FILTER_INVALID, 4))).isEqualTo(MqttQoS.FAILURE);
    assertThat(ReasonCodes.subackV3(MqttSubAckReasonCode.GRANTED_QOS1)).isEqualTo(MqttQoS.AT_LEAST_ONCE);
  }

  @Test
  void disconnects() {
    assertThat(ReasonCodes.disconnect(CloseReason.PACKET_TOO_LARGE).value()).isEqualTo((byte) 0x95);
    assertThat(ReasonCodes.disconnect(CloseReason.TAKEN_OVER).value()).isEqualTo((byte) 0x8E);
    assertThat(ReasonCodes.disconnect(CloseReason.CONNECTION_LOST)).isNull();
    assertThat(ReasonCodes.takenOver(CloseReason.TAKEN_OVER_ELSEWHERE)).isTrue();
    assertThat(ReasonCodes.keepsSession(CloseReason.DEVICE_REMOVED)).isFalse();
  }
}
