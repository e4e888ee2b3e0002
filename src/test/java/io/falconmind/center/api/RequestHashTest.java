package io.falconmind.center.api;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RequestHashTest {

  @Test
  void ignoresKeyOrderWhitespaceAndNumberSpelling() {
    JsonObject a = new JsonObject("{\"type\":\"scan\",\"priority\":50,\"payload\":{\"b\":1.50,\"a\":[1,2]}}");
    JsonObject b = new JsonObject("{ \"payload\" : { \"a\" : [1, 2.0], \"b\" : 1.5 }, \"priority\" : 5e1, \"type\" : \"scan\" }");
    assertThat(RequestHash.of(a)).isEqualTo(RequestHash.of(b));
    assertThat(RequestHash.canonical(a)).isEqualTo("{\"payload\":{\"a\":[1,2],\"b\":1.5},\"priority\":50,\"type\":\"scan\"}");
  }

  @Test
  void tellsDifferentRequestsApart() {
    JsonObject a = new JsonObject().put("type", "scan").put("priority", 50);
    assertThat(RequestHash.of(a)).isNotEqualTo(RequestHash.of(a.copy().put("priority", 51)));
    assertThat(RequestHash.of(a)).isNotEqualTo(RequestHash.of(a.copy().put("payload", new JsonObject())));
    assertThat(RequestHash.of(new JsonObject().put("s", "1"))).isNotEqualTo(RequestHash.of(new JsonObject().put("s", 1)));
  }

  @Test
  void escapesStrings() {
    assertThat(RequestHash.canonical(new JsonObject().put("k", "a\"b\\c\n\u0001")))
        .isEqualTo("{\"k\":\"a\\\"b\\\\c\\n\\u0001\"}");
  }
}
