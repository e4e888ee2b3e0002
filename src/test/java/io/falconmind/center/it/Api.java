package io.falconmind.center.it;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A real HTTP client for the operator API of one node. */
public final class Api {

  /** Status, headers and body of one answer. */
  public record Response(int status, String body, HttpResponse<String> raw) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String token;

  public Api(int port, String token) {
    this.base = "http://127.0.0.1:" + port;
    this.token = token;
  }

  public String base() {
    return base;
  }

  public Response get(String path) {
    return send(request(path).GET());
  }

  public Response post(String path, Object body) {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(String.valueOf(body))));
  }

  public Response post(String path, Object body, String headerName, String headerValue) {
    return send(request(path).header("Content-Type", "application/json").header(headerName, headerValue)
        .POST(HttpRequest.BodyPublishers.ofString(String.valueOf(body))));
  }

  public Response delete(String path) {
    return send(request(path).DELETE());
  }

  public Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r);
    } catch (IOException e) {
      throw new IllegalStateException("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  /** Registers a device and returns its one-time token. */
  public String register(String deviceId, JsonObject extra) {
    Response r = post("/api/v1/devices", extra.copy().put("id", deviceId));
    if (r.status() != 201) throw new AssertionError("register " + deviceId + ": " + r);
    return r.json().getString("token");
  }

  public JsonObject submit(JsonObject mission) {
    Response r = post("/api/v1/missions", mission);
    if (r.status() != 201) throw new AssertionError("submit: " + r);
    return r.json();
  }

  public JsonObject mission(String id) {
    Response r = get("/api/v1/missions/" + id);
    if (r.status() != 200) throw new AssertionError("get mission " + id + ": " + r);
    return r.json();
  }

  public JsonObject device(String id) {
    Response r = get("/api/v1/devices/" + id);
    if (r.status() != 200) throw new AssertionError("get device " + id + ": " + r);
    return r.json();
  }

  public JsonObject awaitMissionState(String id, String state, Duration timeout) {
    return Eventually.until(timeout, "mission " + id + " to be " + state, () -> mission(id),
        m -> state.equals(m.getString("state")));
  }

  public JsonObject awaitDeviceState(String id, String state, Duration timeout) {
    return Eventually.until(timeout, "device " + id + " to be " + state, () -> device(id),
        d -> state.equals(d.getString("state")));
  }
}
