package io.falconmind.center.api;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Admits requests under {@code /api/v1/} that present the admin token as
 * {@code Authorization: Bearer <token>} (or, on the feed endpoints only, as {@code ?token=}, since
 * browsers cannot set headers on a WebSocket). Everything else under {@code /api/v1/} fails with 401
 * before its body is read. Other paths (health, metrics, the OpenAPI document) pass. The comparison
 * takes the same time wherever the tokens differ. A security-policy handler, so Vert.x Web runs it
 * before the body handler. Thread-safe.
 */
public final class BearerAuth implements SecurityPolicyHandler {

  static final String API_PREFIX = "/api/v1/";
  static final String FEED_PREFIX = "/api/v1/feed";

  private final byte[] token;

  public BearerAuth(String adminToken) {
    if (adminToken == null || adminToken.isEmpty()) throw new IllegalArgumentException("admin token is empty");
    this.token = adminToken.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (!path.startsWith(API_PREFIX) && !path.equals("/api/v1")) {
      ctx.next();
      return;
    }
    String presented = bearer(ctx.request().getHeader("Authorization"));
    if (presented == null && path.startsWith(FEED_PREFIX)) presented = ctx.request().getParam("token");
    if (presented == null) {
      ctx.fail(new ApiException(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <admin token>'"));
    } else if (!matches(presented)) {
      ctx.fail(new ApiException(401, "unauthorized", "the bearer token is not valid"));
    } else {
      ctx.next();
    }
  }

  boolean matches(String presented) {
    return MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
  }

  static String bearer(String authorization) {
    if (authorization == null) return null;
    String value = authorization.trim();
    if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
    String t = value.substring(7).trim();
    return t.isEmpty() ? null : t;
  }
}
