package io.falconmind.center.api;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionSpec;
import io.falconmind.center.store.MissionFilter;
import io.falconmind.center.store.MissionPage;
import io.falconmind.center.store.StoreClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * {@code /api/v1/missions}: submit (single and batch), list, read and cancel. Writes go through
 * the control plane and are answered once committed and persisted; history reads come from the
 * store. Requests reach these handlers only after validation against the contract. Runs on the
 * HTTP verticle's event loop; never blocks.
 */
final class MissionResource {

  static final String BASE = "/api/v1/missions/";

  private final ControlClient control;
  private final StoreClient store;
  private final MissionSubmissions submissions;
  private final int maxBatch;
  private final LongSupplier clock;

  MissionResource(ControlClient control, StoreClient store, MissionSubmissions submissions, int maxBatch,
                  LongSupplier clock) {
    this.control = control;
    this.store = store;
    this.submissions = submissions;
    this.maxBatch = maxBatch;
    this.clock = clock;
  }

  void submit(RoutingContext ctx) {
    RequestParameter header = Replies.header(ctx, "Idempotency-Key");
    MissionSpec spec = submissions.toSpec(Replies.body(ctx), header == null ? null : header.getString(), "");
    control.propose(new Command.SubmitMissions(List.of(spec), clock.getAsLong()))
        .compose(applied -> item(applied, 0))
        .compose(this::withMission)
        .onSuccess(item -> {
          boolean created = item.getBoolean("created", false);
          if (created) ctx.response().putHeader("Location", BASE + item.getString("missionId"));
          Replies.json(ctx, created ? 201 : 200, item.getJsonObject("mission"));
        })
        .onFailure(ctx::fail);
  }

  void submitBatch(RoutingContext ctx) {
    JsonArray missions = Replies.body(ctx).getJsonArray("missions");
    if (missions.size() > maxBatch) {
      throw ApiException.invalidField("/missions", "has " + missions.size() + " items; at most " + maxBatch
          + " are accepted in one batch");
    }
    List<MissionSpec> specs = new ArrayList<>(missions.size());
    for (int i = 0; i < missions.size(); i++) {
      specs.add(submissions.toSpec(missions.getJsonObject(i), null, "/missions/" + i));
    }
    control.propose(new Command.SubmitMissions(specs, clock.getAsLong()))
        .compose(applied -> {
          if (applied.refused()) return Future.failedFuture(Replies.refusal(applied.reply()));
          JsonArray items = applied.reply().getJsonArray("items");
          List<Future<JsonObject>> results = new ArrayList<>(items.size());
          for (int i = 0; i < items.size(); i++) results.add(batchItem(i, items.getJsonObject(i)));
          return Future.all(results).map(all -> {
            JsonArray out = new JsonArray();
            for (Future<JsonObject> f : results) out.add(f.result());
            return new JsonObject().put("items", out);
          });
        })
        .onSuccess(body -> Replies.json(ctx, 201, body))
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> batchItem(int index, JsonObject item) {
    JsonObject out = new JsonObject().put("index", index);
    if (item.containsKey("error")) {
      Problem p = ProblemMapper.map(Replies.refusal(item), -1);
      return Future.succeededFuture(out.put("status", p.status()).put("problem", p.toJson()));
    }
    boolean created = item.getBoolean("created", false);
    out.put("status", created ? 201 : 200).put("missionId", item.getString("missionId"));
    return withMission(item).map(full -> out.put("mission", full.getJsonObject("mission")));
  }

  /** The reply item of the {@code index}th submitted spec; a refused item fails. */
  private static Future<JsonObject> item(Applied applied, int index) {
    if (applied.refused()) return Future.failedFuture(Replies.refusal(applied.reply()));
    JsonObject item = applied.reply().getJsonArray("items").getJsonObject(index);
    if (item.containsKey("error")) return Future.failedFuture(Replies.refusal(item));
    return Future.succeededFuture(item);
  }

  /** An idempotent replay may come without the mission (evicted from memory): read it. */
  private Future<JsonObject> withMission(JsonObject item) {
    if (item.getJsonObject("mission") != null) return Future.succeededFuture(item);
    String id = item.getString("missionId");
    return find(id).map(m -> {
      if (m == null) throw new ApiException(500, "internal", "mission " + id + " is neither in memory nor stored");
      return item.copy().put("mission", m.toJson());
    });
  }

  void list(RoutingContext ctx) {
    List<String> states = new ArrayList<>();
    RequestParameter state = Replies.query(ctx, "state");
    if (state != null) {
      for (Object v : state.getJsonArray()) {
        for (String s : String.valueOf(v).split(",")) if (!s.isBlank()) states.add(s.trim());
      }
    }
    RequestParameter limit = Replies.query(ctx, "limit");
    MissionFilter filter = new MissionFilter(states, Replies.queryString(ctx, "type"),
        Replies.queryString(ctx, "deviceId"), limit == null ? 50 : limit.getInteger(),
        Replies.queryString(ctx, "after"));
    Replies.respond(ctx, 200, store.missions(filter).map(MissionResource::page));
  }

  private static JsonObject page(MissionPage page) {
    JsonArray items = new JsonArray();
    for (Mission m : page.items()) items.add(m.toJson());
    return new JsonObject().put("items", items).put("next", page.next());
  }

  void get(RoutingContext ctx) {
    String id = Replies.path(ctx, "id");
    Replies.respond(ctx, 200, find(id).map(m -> {
      if (m == null) throw ApiException.notFound("mission", id);
      return m.toJson();
    }));
  }

  /** Memory first (current), then the durable record (finished and evicted); null when unknown. */
  private Future<Mission> find(String id) {
    return control.mission(id).compose(m -> m != null ? Future.succeededFuture(m) : store.mission(id));
  }

  void cancel(RoutingContext ctx) {
    String id = Replies.path(ctx, "id");
    String reason = Replies.body(ctx).getString("reason");
    Replies.respond(ctx, 200, control.propose(new Command.CancelMission(id, reason, clock.getAsLong()))
        .compose(applied -> {
          if (!applied.refused()) return Future.succeededFuture(applied.reply().getJsonObject("mission"));
          ApiException refusal = Replies.refusal(applied.reply());
          if (refusal.status() != 404) return Future.failedFuture(refusal);
          // Finished missions leave memory after the retention time; the store still knows them.
          return store.mission(id).compose(stored -> Future.failedFuture(stored == null ? refusal
              : new ApiException(409, "mission-finished", "mission " + id + " already ended " + stored.state())));
        }));
  }
}
