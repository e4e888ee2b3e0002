package io.falconmind.center.api;

import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;

/**
 * {@code /api/v1/feed} (WebSocket) and {@code /api/v1/feed/sse} (Server-Sent Events): reads the
 * validated filter and resume point and starts a {@link FeedSession} on the connection.
 */
final class FeedResource {

  static final int PAGE_SIZE = 500;

  private final FeedHub hub;
  private final FeedSession.History history;
  private final int maxQueued;

  FeedResource(FeedHub hub, FeedSession.History history, int maxQueued) {
    this.hub = hub;
    this.history = history;
    this.maxQueued = maxQueued;
  }

  void webSocket(RoutingContext ctx) {
    String upgrade = ctx.request().getHeader("Upgrade");
    if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      ctx.fail(new ApiException(400, "websocket-required",
          "this endpoint speaks WebSocket only (or use /api/v1/feed/sse)"));
      return;
    }
    FeedFilter filter = filter(ctx);
    Long since = since(ctx, null);
    ctx.request().toWebSocket()
        .onSuccess(ws -> new FeedSession(new WebSocketSink(ws), filter, hub, history, maxQueued, PAGE_SIZE).start(since))
        .onFailure(ctx::fail);
  }

  void sse(RoutingContext ctx) {
    FeedFilter filter = filter(ctx);
    RequestParameter lastEventId = Replies.header(ctx, "Last-Event-ID");
    Long since = since(ctx, lastEventId == null ? null : lastEventId.getLong());
    ctx.response().setStatusCode(200);
    new FeedSession(new SseSink(ctx.response()), filter, hub, history, maxQueued, PAGE_SIZE).start(since);
  }

  private static FeedFilter filter(RoutingContext ctx) {
    return FeedFilter.parse(Replies.queryString(ctx, "types"), Replies.queryString(ctx, "missionId"),
        Replies.queryString(ctx, "deviceId"));
  }

  private static Long since(RoutingContext ctx, Long fallback) {
    RequestParameter since = Replies.query(ctx, "since");
    return since == null ? fallback : since.getLong();
  }
}
