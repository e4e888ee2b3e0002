package io.falconmind.center.device;

import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Command.StatusReport;
import io.falconmind.center.control.Command.UpdateProfile;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DevicePayloadsTest {

  private static void refused(Runnable r, String code, String messagePart) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(DeviceProtocolException.class, e -> {
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.getMessage()).contains(messagePart);
    });
  }

  private static JsonObject json(String text) {
    return new JsonObject(text);
  }

  @Test
  void payloadMustBeAJsonObjectWithinTheLimit() {
    assertThat(DevicePayloads.object(Buffer.buffer("{\"a\":1}"), 100)).isEqualTo(new JsonObject().put("a", 1));
    refused(() -> DevicePayloads.object(Buffer.buffer("{nope"), 100), DeviceProtocolException.MALFORMED_JSON, "JSON");
    refused(() -> DevicePayloads.object(Buffer.buffer("[1,2]"), 100), DeviceProtocolException.MALFORMED_JSON, "object");
    refused(() -> DevicePayloads.object(Buffer.buffer("42"), 100), DeviceProtocolException.MALFORMED_JSON, "object");
    refused(() -> DevicePayloads.object(Buffer.buffer(""), 100), DeviceProtocolException.MALFORMED_JSON, "JSON");
    refused(() -> DevicePayloads.object(Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xfe}), 100),
        DeviceProtocolException.MALFORMED_JSON, "JSON");
    refused(() -> DevicePayloads.object(Buffer.buffer("{\"a\":\"" + "x".repeat(200) + "\"}"), 100),
        DeviceProtocolException.PAYLOAD_TOO_LARGE, "exceeds");
  }

  @Test
  void profileWithEveryField() {
    UpdateProfile p = DevicePayloads.profile("d1", json("""
        {"kind":"drone","capabilities":["camera","thermal"],"capacity":2,
         "specs":{"maxAltM":120},"labels":{"site":"north"}}"""), 7L);
    assertThat(p.id()).isEqualTo("d1");
    assertThat(p.kind()).isEqualTo("drone");
    assertThat(p.capabilities()).containsExactly("camera", "thermal");
    assertThat(p.capacity()).isEqualTo(2);
    assertThat(p.specs().getInteger("maxAltM")).isEqualTo(120);
    assertThat(p.labels()).containsEntry("site", "north");
    assertThat(p.at()).isEqualTo(7L);
  }

  @Test
  void profileDefaults() {
    UpdateProfile p = DevicePayloads.profile("d1", json("{\"kind\":\"rover\"}"), 1L);
    assertThat(p.capacity()).isEqualTo(1);
    assertThat(p.capabilities()).isEmpty();
    assertThat(p.labels()).isEmpty();
    assertThat(p.specs()).isEqualTo(new JsonObject());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{}                                          | missing-field | kind",
      "{\"kind\":3}                                | invalid-field | kind",
      "{\"kind\":\"\"}                             | invalid-field | kind",
      "{\"kind\":\"d\",\"capabilities\":\"cam\"}   | invalid-field | capabilities",
      "{\"kind\":\"d\",\"capabilities\":[1]}       | invalid-field | capabilities",
      "{\"kind\":\"d\",\"capacity\":0}             | invalid-field | capacity",
      "{\"kind\":\"d\",\"capacity\":1.5}           | invalid-field | capacity",
      "{\"kind\":\"d\",\"capacity\":\"2\"}         | invalid-field | capacity",
      "{\"kind\":\"d\",\"specs\":[]}               | invalid-field | specs",
      "{\"kind\":\"d\",\"labels\":{\"a\":1}}       | invalid-field | labels.a",
      "{\"kind\":\"d\",\"labels\":[]}              | invalid-field | labels",
  })
  void badProfilesAreRefused(String payload, String code, String field) {
    refused(() -> DevicePayloads.profile("d1", json(payload), 1L), code, field);
  }

  @Test
  void telemetryKeepsExtraFieldsAndStampsDeviceAndTime() {
    JsonObject t = DevicePayloads.telemetry("d1", json("""
        {"battery":80,"lat":48.1,"lon":-11.5,"alt":120.5,"cpu":12,"mem":40.5,"temp":21}"""), 99L);
    assertThat(t.getString("deviceId")).isEqualTo("d1");
    assertThat(t.getLong("at")).isEqualTo(99L);
    assertThat(t.getInteger("temp")).isEqualTo(21);
    assertThat(t.getDouble("lat")).isEqualTo(48.1);
    assertThat(DevicePayloads.telemetry("d1", new JsonObject(), 1L).fieldNames()).containsOnly("deviceId", "at");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"battery\":101}     | battery",
      "{\"battery\":-1}      | battery",
      "{\"battery\":\"80\"}  | battery",
      "{\"lat\":90.5}        | lat",
      "{\"lon\":-180.1}      | lon",
      "{\"cpu\":100.01}      | cpu",
      "{\"mem\":true}        | mem",
      "{\"alt\":\"high\"}    | alt",
  })
  void badTelemetryIsRefused(String payload, String field) {
    refused(() -> DevicePayloads.telemetry("d1", json(payload), 1L), DeviceProtocolException.INVALID_FIELD, field);
  }

  @Test
  void statusWithEveryField() {
    StatusReport r = DevicePayloads.status("d1", "m1", json("""
        {"attempt":2,"status":"FAILED","progress":40,"result":{"n":1},
         "error":{"code":"battery","message":"low battery","retryable":true}}"""));
    assertThat(r.missionId()).isEqualTo("m1");
    assertThat(r.deviceId()).isEqualTo("d1");
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.status()).isEqualTo(AttemptStatus.FAILED);
    assertThat(r.progress()).isEqualTo(40);
    assertThat(r.result().getInteger("n")).isEqualTo(1);
    assertThat(r.error().getBoolean("retryable")).isTrue();
  }

  @Test
  void statusErrorRetryableDefaultsToFalse() {
    StatusReport r = DevicePayloads.status("d1", "m1",
        json("{\"attempt\":1,\"status\":\"REJECTED\",\"error\":{\"code\":\"busy\",\"message\":\"no\"}}"));
    assertThat(r.error().getBoolean("retryable")).isFalse();
    assertThat(r.progress()).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"status\":\"RUNNING\"}                                   | missing-field | attempt",
      "{\"attempt\":1}                                            | missing-field | status",
      "{\"attempt\":0,\"status\":\"RUNNING\"}                     | invalid-field | attempt",
      "{\"attempt\":\"1\",\"status\":\"RUNNING\"}                 | invalid-field | attempt",
      "{\"attempt\":1.0,\"status\":\"RUNNING\"}                   | invalid-field | attempt",
      "{\"attempt\":1,\"status\":\"DONE\"}                        | invalid-field | status",
      "{\"attempt\":1,\"status\":7}                               | invalid-field | status",
      "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":101}    | invalid-field | progress",
      "{\"attempt\":1,\"status\":\"RUNNING\",\"progress\":-1}     | invalid-field | progress",
      "{\"attempt\":1,\"status\":\"SUCCEEDED\",\"result\":[]}     | invalid-field | result",
      "{\"attempt\":1,\"status\":\"FAILED\",\"error\":\"x\"}      | invalid-field | error",
      "{\"attempt\":1,\"status\":\"FAILED\",\"error\":{\"message\":\"m\"}}            | missing-field | error.code",
      "{\"attempt\":1,\"status\":\"FAILED\",\"error\":{\"code\":\"c\"}}               | missing-field | error.message",
      "{\"attempt\":1,\"status\":\"FAILED\",\"error\":{\"code\":1,\"message\":\"m\"}} | invalid-field | error.code",
      "{\"attempt\":1,\"status\":\"FAILED\",\"error\":{\"code\":\"c\",\"message\":\"m\",\"retryable\":\"yes\"}} | invalid-field | error.retryable",
  })
  void badStatusesAreRefused(String payload, String code, String field) {
    refused(() -> DevicePayloads.status("d1", "m1", json(payload)), code, field);
  }

  @Test
  void tooManyCapabilitiesAreRefused() {
    JsonArray caps = new JsonArray();
    for (int i = 0; i <= DevicePayloads.MAX_CAPABILITIES; i++) caps.add("c" + i);
    refused(() -> DevicePayloads.profile("d1", new JsonObject().put("kind", "d").put("capabilities", caps), 1L),
        DeviceProtocolException.INVALID_FIELD, "capabilities");
  }
}
