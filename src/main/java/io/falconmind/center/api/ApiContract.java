package io.falconmind.center.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI document bundled as {@code /openapi.yaml}: its text (served as is) and the parsed
 * contract every request is validated against.
 */
public record ApiContract(String yaml, OpenAPIContract contract) {

  public static final String RESOURCE = "/openapi.yaml";

  /** Reads and parses the bundled document off the event loop. */
  public static Future<ApiContract> load(Vertx vertx) {
    return vertx.executeBlocking(ApiContract::readResource)
        .compose(text -> OpenAPIContract.from(vertx, toJson(text)).map(c -> new ApiContract(text, c)));
  }

  static String readResource() throws IOException {
    try (InputStream in = ApiContract.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IOException(RESOURCE + " is missing from the build");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static JsonObject toJson(String yaml) {
    Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    return new JsonObject(stringKeys((Map<?, ?>) doc));
  }

  private static Map<String, Object> stringKeys(Map<?, ?> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
    return out;
  }

  private static Object plain(Object v) {
    if (v instanceof Map<?, ?> m) return stringKeys(m);
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) out.add(plain(o));
      return out;
    }
    return v;
  }
}
