package io.falconmind.center.api;

import io.falconmind.center.control.ControlException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where failures become HTTP answers: every failed request of the REST API, whatever
 * failed it (validation, authentication, the control plane, the store, a bug), is answered here as
 * an RFC 9457 {@code application/problem+json} document. Stateless and thread-safe.
 */
public final class ProblemMapper {

  private static final Logger LOG = LoggerFactory.getLogger(ProblemMapper.class);
  private static final Pattern PARAMETER =
      Pattern.compile("(query|path|header|cookie) parameter ([^\\s.]+)");
  /** Seconds a client waits before retrying after a 503. */
  static final int RETRY_AFTER_SEC = 2;

  private ProblemMapper() {
  }

  /**
   * Maps a failure to a problem.
   *
   * @param failure    what failed the request, or null
   * @param statusHint the status the failure was raised with (e.g. 413 by the body handler, 404 by
   *                   the router), or -1
   */
  public static Problem map(Throwable failure, int statusHint) {
    Throwable t = failure;
    if (t instanceof HttpException he) {
      if (he.getCause() != null) t = he.getCause();
      else return byStatus(he.getStatusCode(), he.getPayload());
    }
    if (t instanceof ApiException e) return new Problem(e.status(), e.code(), e.getMessage(), e.errors(),
        e.status() == 503 ? RETRY_AFTER_SEC : 0);
    if (t instanceof ControlException e) return control(e);
    if (t instanceof SchemaValidationException e) return schema(e);
    if (t instanceof ValidatorException e) return validator(e);
    if (t instanceof ReplyException e) return reply(e);
    if (t == null || statusHint > 0 && statusHint != 500) return byStatus(statusHint, null);
    LOG.error("Unexpected failure of an API request", t);
    return new Problem(500, "internal", "the request failed unexpectedly; see the node's log", null, 0);
  }

  /** Answers the request with the problem; does nothing when the response is already written. */
  public static void send(RoutingContext ctx, Problem problem) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten() || response.ended() || response.closed()) return;
    response.setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
    if (problem.retryAfterSec() > 0) response.putHeader("Retry-After", String.valueOf(problem.retryAfterSec()));
    if (problem.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer realm=\"falconmind\"");
    }
    response.end(problem.toJson().encode());
  }

  /** The router's failure handler. */
  public static void handleFailure(RoutingContext ctx) {
    send(ctx, map(ctx.failure(), ctx.statusCode()));
  }

  static Problem byStatus(int status, String detail) {
    switch (status) {
      case 401: return new Problem(401, "unauthorized", or(detail, "a valid bearer token is required"), null, 0);
      case 404: return new Problem(404, "not-found", or(detail, "no such resource"), null, 0);
      case 405: return new Problem(405, "method-not-allowed", or(detail, "method not allowed on this resource"), null, 0);
      case 413: return new Problem(413, "body-too-large", or(detail, "the request body is larger than allowed"), null, 0);
      case 415: return new Problem(415, "unsupported-media-type", or(detail, "the body must be application/json"), null, 0);
      case 400: return new Problem(400, "bad-request", or(detail, "bad request"), null, 0);
      case 503: return new Problem(503, "unavailable", or(detail, "temporarily unavailable"), null, RETRY_AFTER_SEC);
      default:
        if (status >= 400 && status < 500) return new Problem(status, "client-error", or(detail, Problem.title(status)), null, 0);
        return new Problem(500, "internal", "the request failed unexpectedly; see the node's log", null, 0);
    }
  }

  private static Problem control(ControlException e) {
    return new Problem(e.status(), e.code(), e.getMessage(), null, e.status() == 503 ? RETRY_AFTER_SEC : 0);
  }

  private static Problem reply(ReplyException e) {
    if (e.failureType() == ReplyFailure.RECIPIENT_FAILURE && e.failureCode() == 400) {
      return new Problem(400, "invalid-cursor", or(e.getMessage(), "invalid cursor"), null, 0);
    }
    if (e.failureType() == ReplyFailure.NO_HANDLERS) {
      return new Problem(503, "store-not-ready", "the store of this node is not running", null, RETRY_AFTER_SEC);
    }
    if (e.failureType() == ReplyFailure.TIMEOUT) {
      return new Problem(503, "store-timeout", "the database did not answer in time", null, RETRY_AFTER_SEC);
    }
    LOG.warn("Store request failed: {}", e.getMessage());
    return new Problem(503, "store-unavailable", "the database is unavailable: " + e.getMessage(), null,
        RETRY_AFTER_SEC);
  }

  private static Problem validator(ValidatorException e) {
    String message = e.getMessage() == null ? "invalid request" : e.getMessage();
    boolean body = message.contains(" body");
    if (e.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT && body) {
      return byStatus(415, "the body must be application/json");
    }
    if (e.type() == ValidatorErrorType.ILLEGAL_VALUE && body) {
      return new Problem(400, "malformed-json", "the request body is not valid JSON", null, 0);
    }
    if (e.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER && body) {
      return new Problem(400, "body-required", "this request needs a JSON body", null, 0);
    }
    JsonObject error = new JsonObject().put("detail", message);
    Matcher m = PARAMETER.matcher(message);
    if (m.find()) error.put("in", m.group(1)).put("name", m.group(2));
    else error.put("in", "body");
    return new Problem(400, "validation-failed", message, new JsonArray().add(error), 0);
  }

  private static Problem schema(SchemaValidationException e) {
    String message = e.getMessage() == null ? "invalid request" : e.getMessage();
    Matcher m = PARAMETER.matcher(message);
    String in = m.find() ? m.group(1) : "body";
    String name = "body".equals(in) ? null : m.group(2);
    JsonArray errors = new JsonArray();
    List<String[]> found = leafErrors(e.getOutputUnit());
    for (String[] f : found) {
      JsonObject entry = new JsonObject().put("in", in);
      if (name != null) entry.put("name", name);
      if (name == null || !f[0].isEmpty()) entry.put("pointer", f[0]);
      errors.add(entry.put("detail", f[1]));
    }
    if (errors.isEmpty()) {
      JsonObject entry = new JsonObject().put("in", in).put("detail", message);
      if (name != null) entry.put("name", name);
      errors.add(entry);
    }
    String detail = "body".equals(in) ? "the request body is invalid: " + summary(errors)
        : "the " + in + " parameter '" + name + "' is invalid: " + summary(errors);
    return new Problem(400, "validation-failed", detail, errors, 0);
  }

  private static final Pattern WRAPPER =
      Pattern.compile("^(Property \".*\" does not match (additional properties )?schema|A subschema had errors.*)$");
  private static final Pattern ADDITIONAL = Pattern.compile("^Property \".*\" does not match additional properties schema$");

  /**
   * The validator reports every failing schema on the way down ("Property x does not match
   * schema") besides the one that says why; keep the reasons, and a wrapper only where nothing more
   * specific was said at or below its location (an unknown member under additionalProperties:false).
   */
  static List<String[]> leafErrors(OutputUnit unit) {
    List<String[]> all = new ArrayList<>();
    if (unit == null || unit.getErrors() == null) return all;
    Set<String> seen = new LinkedHashSet<>();
    for (OutputUnit u : unit.getErrors()) {
      String pointer = pointer(u.getInstanceLocation());
      String detail = u.getError();
      if (detail != null && seen.add(pointer + "\u0000" + detail)) all.add(new String[] {pointer, detail});
    }
    List<String[]> kept = new ArrayList<>();
    Set<String> keptKeys = new LinkedHashSet<>();
    for (String[] error : all) {
      if (WRAPPER.matcher(error[1]).matches()) {
        boolean explained = false;
        for (String[] other : all) {
          if (!WRAPPER.matcher(other[1]).matches()
              && (other[0].equals(error[0]) || other[0].startsWith(error[0] + "/"))) {
            explained = true;
            break;
          }
        }
        if (explained) continue;
        if (ADDITIONAL.matcher(error[1]).matches()) {
          error = new String[] {error[0], "is not a known member (additional members are not allowed)"};
        } else if (error[1].startsWith("A subschema")) {
          continue;
        }
      }
      if (keptKeys.add(error[0] + "\u0000" + error[1])) kept.add(error);
    }
    return kept;
  }

  private static String summary(JsonArray errors) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < errors.size(); i++) {
      JsonObject e = errors.getJsonObject(i);
      if (i > 0) sb.append("; ");
      String pointer = e.getString("pointer");
      if (pointer != null && !pointer.isEmpty()) sb.append(pointer).append(": ");
      sb.append(e.getString("detail"));
    }
    return sb.toString();
  }

  /** JSON schema instance locations come as "#/a/b", "/a/b" or "#"; problems use "/a/b" or "". */
  static String pointer(String location) {
    if (location == null) return "";
    String p = location.startsWith("#") ? location.substring(1) : location;
    return p.equals("/") ? "" : p;
  }

  private static String or(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
