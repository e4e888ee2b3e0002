package io.falconmind.center.it.partition;

import io.falconmind.center.it.Api;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The operator REST API of one node at its own address. Short timeouts: a probe of a cut-off node
 * must answer (or fail) well inside the deadlines the partition test polls with. A request that gets
 * no answer throws {@link IllegalStateException}.
 */
final class OperatorApi {

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final String base;
  private final String token;

  OperatorApi(String host, int port, String token) {
    this.base = "http://" + host + ":" + port;
    this.token = token;
  }

  Api.Response get(String path) {
    return send(request(path).GET());
  }

  JsonObject getJson(String path) {
    Api.Response r = get(path);
    if (r.status() != 200) throw new AssertionError("GET " + base + path + ": " + r);
    return r.json();
  }

  Api.Response post(String path, JsonObject body) {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  Api.Response post(String path, JsonObject body, String idempotencyKey) {
    return send(request(path).header("Content-Type", "application/json").header("Idempotency-Key", idempotencyKey)
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  /** {@code GET /health/ready}. */
  Api.Response ready() {
    return get("/health/ready");
  }

  /** {@code GET /api/v1/cluster}: this node's role, indexes and the member list as it sees them. */
  JsonObject cluster() {
    return getJson("/api/v1/cluster");
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT)
        .header("Authorization", "Bearer " + token);
  }

  private Api.Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Api.Response(r.statusCode(), r.body(), r);
    } catch (IOException e) {
      throw new IllegalStateException(base + ": request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return base;
  }
}
