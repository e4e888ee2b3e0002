package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

/** Builds the reply of a refused command or item; HTTP-style status, stable code, human detail. */
public final class Refusal {
  private Refusal() {
  }

  public static JsonObject of(int status, String code, String detail) {
    return new JsonObject().put("error",
        new JsonObject().put("status", status).put("code", code).put("detail", detail));
  }

  static JsonObject notFound(String what, String id) {
    return of(404, what + "-not-found", "no " + what + " with id '" + id + "'");
  }
}
