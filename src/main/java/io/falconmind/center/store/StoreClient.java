package io.falconmind.center.store;

import io.falconmind.center.control.LocalCodec;
import io.falconmind.center.control.Mission;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Reads of the durable record (PostgreSQL), served by the store verticle of this node over the
 * local event bus. Everything read here was persisted, hence acknowledged. Thread-safe; futures
 * complete on the caller's context. Failures carry a {@code ReplyException} whose message says what
 * went wrong (e.g. the database is unreachable); an invalid cursor fails with code 400.
 */
public final class StoreClient {

  /** Body: {@link MissionFilter} ({@code missions}), mission id ({@code mission}), JsonObject. */
  public static final String QUERY = "center.store.query";
  public static final String OP_HEADER = "op";

  private static final long TIMEOUT_MS = 15_000;

  private final Vertx vertx;

  public StoreClient(Vertx vertx) {
    this.vertx = vertx;
    LocalCodec.register(vertx, MissionFilter.class, MissionPage.class, Mission.class,
        io.falconmind.center.control.ControlSnapshot.class);
  }

  /** The mission as last persisted, or null when there is none with that id. */
  public Future<Mission> mission(String id) {
    return this.<Mission>request("mission", id);
  }

  public Future<MissionPage> missions(MissionFilter filter) {
    return request("missions", filter);
  }

  /**
   * Persisted events with {@code seq > afterSeq}, ascending, at most {@code limit}, in the form of
   * {@code Event#toJson()}.
   */
  public Future<JsonArray> eventsAfter(long afterSeq, int limit) {
    return request("eventsAfter", new JsonObject().put("afterSeq", afterSeq).put("limit", limit));
  }

  /** The lowest seq still kept in the events table (older ones were pruned), or 0 when empty. */
  public Future<Long> oldestEventSeq() {
    return request("oldestEventSeq", new JsonObject());
  }

  /**
   * The control state as persisted, for a new Raft group to start from: devices, active and
   * recently finished missions, recent idempotency keys, the last persisted seq.
   */
  public Future<io.falconmind.center.control.ControlSnapshot> controlSnapshot() {
    return request("controlSnapshot", new JsonObject());
  }

  /** Succeeds when PostgreSQL answers a trivial query. */
  public Future<Void> ping() {
    return this.<Object>request("ping", new JsonObject()).mapEmpty();
  }

  private <T> Future<T> request(String op, Object body) {
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(TIMEOUT_MS)
        .addHeader(OP_HEADER, op);
    return vertx.eventBus().<T>request(QUERY, body, options).map(m -> m.body());
  }
}
