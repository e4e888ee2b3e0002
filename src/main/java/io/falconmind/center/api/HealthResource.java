package io.falconmind.center.api;

import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.NodeStatus;
import io.falconmind.center.store.StoreClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.TimeUnit;

/**
 * Liveness, readiness and the node's view of the Raft group. Ready means: PostgreSQL answers and
 * the group has a leader; each check is bounded by {@link #CHECK_TIMEOUT_MS} so a hung dependency
 * makes the node unready instead of hanging the probe.
 */
final class HealthResource {

  static final long CHECK_TIMEOUT_MS = 3000;

  private final ControlClient control;
  private final StoreClient store;

  HealthResource(ControlClient control, StoreClient store) {
    this.control = control;
    this.store = store;
  }

  void live(RoutingContext ctx) {
    Replies.json(ctx, 200, new JsonObject().put("status", "UP"));
  }

  void ready(RoutingContext ctx) {
    Future<JsonObject> storeCheck = check(store.ping().map(v -> "PostgreSQL answers"));
    Future<JsonObject> controlCheck = check(control.status().map(HealthResource::leader));
    Future.join(storeCheck, controlCheck).onComplete(done -> {
      JsonObject s = storeCheck.result();
      JsonObject c = controlCheck.result();
      boolean up = "UP".equals(s.getString("status")) && "UP".equals(c.getString("status"));
      Replies.json(ctx, up ? 200 : 503, new JsonObject().put("status", up ? "UP" : "DOWN")
          .put("checks", new JsonObject().put("store", s).put("control", c)));
    });
  }

  private static String leader(NodeStatus status) {
    if (!status.hasLeader()) throw new IllegalStateException("this node has no contact with a Raft leader (it is "
        + status.role() + ", term " + status.term() + ")");
    return "leader is " + status.leader() + " (this node is " + status.role() + ")";
  }

  /** Never fails: a failed or slow check becomes {status: DOWN, detail}. */
  private static Future<JsonObject> check(Future<String> probe) {
    return probe.timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(detail -> new JsonObject().put("status", "UP").put("detail", detail))
        .otherwise(t -> new JsonObject().put("status", "DOWN").put("detail", String.valueOf(t.getMessage())));
  }

  void cluster(RoutingContext ctx) {
    Replies.respond(ctx, 200, control.cluster());
  }
}
