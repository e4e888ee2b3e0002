package io.falconmind.center.api;

import io.vertx.core.json.JsonArray;

/**
 * A request the API refuses, with the HTTP status and stable code it is answered with. Handlers
 * fail their futures with it; {@link ProblemMapper} turns it into a problem document. Carries no
 * stack trace: it is an answer, not a bug.
 */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final JsonArray errors;

  public ApiException(int status, String code, String detail) {
    this(status, code, detail, null);
  }

  /** @param errors entries {@code in}, {@code name} or {@code pointer}, {@code detail}; may be null */
  public ApiException(int status, String code, String detail, JsonArray errors) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  public static ApiException badRequest(String code, String detail) {
    return new ApiException(400, code, detail);
  }

  /** A single invalid member of the body, named by its JSON pointer. */
  public static ApiException invalidField(String pointer, String detail) {
    JsonArray errors = new JsonArray().add(new io.vertx.core.json.JsonObject()
        .put("in", "body").put("pointer", pointer).put("detail", detail));
    return new ApiException(400, "validation-failed", pointer + ": " + detail, errors);
  }

  public static ApiException notFound(String what, String id) {
    return new ApiException(404, what + "-not-found", "no " + what + " with id '" + id + "'");
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public JsonArray errors() {
    return errors;
  }
}
