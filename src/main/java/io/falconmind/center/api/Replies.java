package io.falconmind.center.api;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;

/** Small helpers shared by the resources: reading the validated request, writing JSON answers. */
final class Replies {

  private Replies() {
  }

  /** The request as validated against the contract (set by the OpenAPI router before handlers run). */
  static ValidatedRequest validated(RoutingContext ctx) {
    return ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
  }

  /** The validated JSON body, or an empty object when the (optional) body is absent. */
  static JsonObject body(RoutingContext ctx) {
    RequestParameter body = validated(ctx).getBody();
    if (body == null || body.isNull() || !body.isJsonObject()) return new JsonObject();
    return body.getJsonObject();
  }

  static String path(RoutingContext ctx, String name) {
    RequestParameter p = validated(ctx).getPathParameters().get(name);
    return p == null || p.isNull() ? ctx.pathParam(name) : p.getString();
  }

  static RequestParameter query(RoutingContext ctx, String name) {
    RequestParameter p = validated(ctx).getQuery().get(name);
    return p == null || p.isNull() ? null : p;
  }

  static String queryString(RoutingContext ctx, String name) {
    RequestParameter p = query(ctx, name);
    return p == null ? null : String.valueOf(p.get());
  }

  static RequestParameter header(RoutingContext ctx, String name) {
    RequestParameter p = validated(ctx).getHeaders().get(name);
    return p == null || p.isNull() ? null : p;
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) return;
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.encode());
  }

  /** Answers with the future's JSON, or routes its failure to {@link ProblemMapper}. */
  static void respond(RoutingContext ctx, int status, Future<JsonObject> result) {
    result.onSuccess(body -> json(ctx, status, body)).onFailure(ctx::fail);
  }

  /** The refusal of a command ({@code error}: status, code, detail) as an exception. */
  static ApiException refusal(JsonObject reply) {
    JsonObject e = reply.getJsonObject("error");
    return new ApiException(e.getInteger("status", 409), e.getString("code", "refused"),
        e.getString("detail", "refused"));
  }
}
