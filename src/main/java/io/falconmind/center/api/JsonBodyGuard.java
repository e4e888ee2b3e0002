package io.falconmind.center.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.InputTrustHandler;

import java.util.Locale;

/**
 * Refuses a request body that is not JSON with 415 before validation. Runs after the body handler;
 * requests without a body pass (the contract decides whether one is required). Thread-safe.
 */
public final class JsonBodyGuard implements InputTrustHandler {

  @Override
  public void handle(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    boolean hasBody = ctx.body() != null && ctx.body().length() > 0;
    if (hasBody && (method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH)
        && !isJson(ctx.request().getHeader("Content-Type"))) {
      ctx.fail(new ApiException(415, "unsupported-media-type",
          "the body must be application/json, got " + describe(ctx.request().getHeader("Content-Type"))));
      return;
    }
    ctx.next();
  }

  static boolean isJson(String contentType) {
    if (contentType == null) return false;
    String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return media.equals("application/json");
  }

  private static String describe(String contentType) {
    return contentType == null ? "no Content-Type" : "'" + contentType + "'";
  }
}
