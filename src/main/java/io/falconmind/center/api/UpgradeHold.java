package io.falconmind.center.api;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;

/**
 * Pauses a WebSocket upgrade request as it enters the router, so it is not yet ended when the
 * (asynchronous) contract validation hands it to the feed, which can then still upgrade it.
 */
final class UpgradeHold implements PlatformHandler {

  @Override
  public void handle(RoutingContext ctx) {
    if (isUpgrade(ctx)) ctx.request().pause();
    ctx.next();
  }

  static boolean isUpgrade(RoutingContext ctx) {
    String upgrade = ctx.request().getHeader("Upgrade");
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }
}
