package io.falconmind.center.it.cluster;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A REST client of one node with short timeouts, so that a frozen or dead node costs a caller
 * seconds, not the default half minute. A transport failure (refused, reset, timed out) is a
 * status of -1 rather than an exception: callers of a cluster under faults expect it. Thread-safe.
 */
public final class NodeHttp {

  /** Status and body of one answer; status -1 when no answer came ({@code body} then says why). */
  public record Reply(int status, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public boolean ok() {
      return status >= 200 && status < 300;
    }

    @Override
    public String toString() {
      return status + " " + (body.length() > 300 ? body.substring(0, 300) + "..." : body);
    }
  }

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  private final String base;
  private final String token;
  private final Duration timeout;

  public NodeHttp(int port, String token, Duration timeout) {
    this.base = "http://127.0.0.1:" + port;
    this.token = token;
    this.timeout = timeout;
  }

  public Reply get(String path) {
    return send(request(path).GET());
  }

  public Reply post(String path, Object body, String idempotencyKey) {
    HttpRequest.Builder b = request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(String.valueOf(body)));
    if (idempotencyKey != null) b.header("Idempotency-Key", idempotencyKey);
    return send(b);
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).header("Authorization", "Bearer " + token);
  }

  private Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Reply(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Reply(-1, "interrupted");
    }
  }
}
