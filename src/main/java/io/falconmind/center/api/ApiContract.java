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
        .compose(text -> OpenAPIContract.from(vertx, forValidation(toJson(text))).map(c -> new ApiContract(text, c)));
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

  /**
   * The copy of the document requests are validated against. Responses are not validated, and the
   * validator refuses media types it cannot parse (problem+json, YAML, event streams) even in
   * responses, so their bodies are dropped from this copy; the served document keeps them. Security
   * requirements are dropped too: {@link BearerAuth} enforces them before the body is read.
   */
  static JsonObject forValidation(JsonObject doc) {
    JsonObject copy = doc.copy();
    copy.remove("security");
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        Object op = item.getValue(method);
        if (!(op instanceof JsonObject o)) continue;
        o.remove("security");
        if (o.containsKey("responses")) stripBodies(o.getJsonObject("responses"));
      }
    }
    JsonObject components = copy.getJsonObject("components", new JsonObject());
    if (components.containsKey("responses")) stripBodies(components.getJsonObject("responses"));
    return copy;
  }

  private static void stripBodies(JsonObject responses) {
    for (String status : responses.fieldNames()) {
      Object r = responses.getValue(status);
      if (r instanceof JsonObject o) o.remove("content");
    }
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
