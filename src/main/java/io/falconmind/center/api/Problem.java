package io.falconmind.center.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An RFC 9457 problem document: {@code type}, {@code title}, {@code status}, {@code detail}, plus
 * the stable {@code code} and, for validation failures, {@code errors}.
 *
 * @param retryAfterSec seconds for a {@code Retry-After} header, or 0 for none
 * @param errors        null unless the request failed validation
 */
public record Problem(int status, String code, String detail, JsonArray errors, int retryAfterSec) {

  public static final String MEDIA_TYPE = "application/problem+json";
  /** Problem types are URNs built from the stable code: {@code urn:falconmind:problem:<code>}. */
  public static final String TYPE_PREFIX = "urn:falconmind:problem:";

  public static String title(int status) {
    switch (status) {
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 405: return "Method Not Allowed";
      case 409: return "Conflict";
      case 410: return "Gone";
      case 413: return "Content Too Large";
      case 415: return "Unsupported Media Type";
      case 500: return "Internal Server Error";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return status < 500 ? "Client Error" : "Server Error";
    }
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", TYPE_PREFIX + code)
        .put("title", title(status))
        .put("status", status)
        .put("detail", detail)
        .put("code", code);
    if (errors != null && !errors.isEmpty()) json.put("errors", errors);
    return json;
  }
}
