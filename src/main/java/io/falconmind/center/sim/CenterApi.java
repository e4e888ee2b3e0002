package io.falconmind.center.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.URI;

/**
 * The slice of the center's REST API the simulator uses: device registration and mission submit.
 * Answers other than the expected status fail the future with a {@link CenterApi.Refused} carrying
 * the status and the problem's detail. Create and use it on one context.
 */
public final class CenterApi {
  private final WebClient client;
  private final String basePath;
  private final String bearer;

  /** The center answered with an unexpected status. */
  public static final class Refused extends RuntimeException {
    private final int status;

    public Refused(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  public CenterApi(Vertx vertx, URI api, String adminToken, int connections) {
    boolean ssl = "https".equals(api.getScheme());
    int port = api.getPort() > 0 ? api.getPort() : (ssl ? 443 : 80);
    this.client = WebClient.create(vertx, new WebClientOptions()
            .setDefaultHost(api.getHost()).setDefaultPort(port).setSsl(ssl).setKeepAlive(true)
            .setUserAgent("falconmind-sim"),
        new PoolOptions().setHttp1MaxSize(connections));
    this.basePath = basePath(api);
    this.bearer = "Bearer " + adminToken;
  }

  /** {@code http://h:8080} and {@code http://h:8080/api/v1} both mean the API root {@code /api/v1}. */
  static String basePath(URI api) {
    String path = api.getPath() == null ? "" : api.getPath();
    while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
    return path.endsWith("/api/v1") ? path : path + "/api/v1";
  }

  /**
   * Registers a device and returns its token. An existing device of that id is deleted and
   * registered again, which is the only way to learn a token again (it is shown once).
   */
  public Future<String> registerDevice(String id, JsonObject labels) {
    JsonObject body = new JsonObject().put("id", id).put("name", "simulated " + id).put("labels", labels);
    return post("/devices", body).compose(resp -> {
      if (resp.statusCode() == 409) {
        return deleteDevice(id).compose(v -> post("/devices", body)).compose(again -> token(id, again));
      }
      return token(id, resp);
    });
  }

  public Future<Void> deleteDevice(String id) {
    return request(client.delete(basePath + "/devices/" + id)).send().compose(resp -> {
      if (resp.statusCode() == 204 || resp.statusCode() == 404) return Future.succeededFuture();
      return Future.failedFuture(refused("DELETE /devices/" + id, resp));
    });
  }

  /** Submits one mission; returns the mission JSON the center created. */
  public Future<JsonObject> submitMission(JsonObject mission) {
    return post("/missions", mission).compose(resp -> resp.statusCode() == 201 || resp.statusCode() == 200
        ? Future.succeededFuture(resp.bodyAsJsonObject())
        : Future.failedFuture(refused("POST /missions", resp)));
  }

  /** Submits missions in one batch; returns the {@code items} answer (each a mission or a problem). */
  public Future<JsonObject> submitBatch(JsonObject batch) {
    return post("/missions/batch", batch).compose(resp -> resp.statusCode() == 201 || resp.statusCode() == 200
        ? Future.succeededFuture(resp.bodyAsJsonObject())
        : Future.failedFuture(refused("POST /missions/batch", resp)));
  }

  public Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  private Future<HttpResponse<Buffer>> post(String path, JsonObject body) {
    return request(client.post(basePath + path)).sendJsonObject(body);
  }

  private HttpRequest<Buffer> request(HttpRequest<Buffer> req) {
    return req.putHeader("Authorization", bearer).putHeader("Accept", "application/json")
        .timeout(30_000);
  }

  private static Future<String> token(String id, HttpResponse<Buffer> resp) {
    if (resp.statusCode() != 201) return Future.failedFuture(refused("POST /devices (" + id + ")", resp));
    JsonObject body = resp.bodyAsJsonObject();
    String token = body == null ? null : body.getString("token");
    if (token == null) return Future.failedFuture(new Refused(resp.statusCode(), "no token in the answer for " + id));
    return Future.succeededFuture(token);
  }

  private static Refused refused(String what, HttpResponse<Buffer> resp) {
    String detail = resp.bodyAsString();
    try {
      JsonObject problem = resp.bodyAsJsonObject();
      if (problem != null) {
        detail = problem.getString("detail", problem.getString("title", detail));
      }
    } catch (RuntimeException e) {
      // not JSON: keep the raw body
    }
    if (detail != null && detail.length() > 300) detail = detail.substring(0, 300) + "...";
    return new Refused(resp.statusCode(), what + " -> " + resp.statusCode() + ": " + detail);
  }
}
