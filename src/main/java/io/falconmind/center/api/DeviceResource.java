package io.falconmind.center.api;

import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.Device;
import io.falconmind.center.device.DeviceTokens;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code /api/v1/devices}: register (issuing the device token), list, read, drain and remove.
 * Reads come from this node's copy of the control state; writes are answered once committed and
 * persisted. Runs on the HTTP verticle's event loop; never blocks.
 */
final class DeviceResource {

  static final String BASE = "/api/v1/devices/";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ControlClient control;
  private final LongSupplier clock;

  DeviceResource(ControlClient control, LongSupplier clock) {
    this.control = control;
    this.clock = clock;
  }

  void register(RoutingContext ctx) {
    JsonObject body = Replies.body(ctx);
    String id = body.getString("id", generatedId());
    Map<String, String> labels = new LinkedHashMap<>();
    body.getJsonObject("labels", new JsonObject()).forEach(e -> labels.put(e.getKey(), (String) e.getValue()));
    String token = DeviceTokens.newToken();
    control.propose(new Command.RegisterDevice(id, body.getString("name"), labels, DeviceTokens.hash(token),
            clock.getAsLong()))
        .compose(applied -> applied.refused() ? Future.failedFuture(Replies.refusal(applied.reply()))
            : Future.succeededFuture(applied.reply().getJsonObject("device")))
        .onSuccess(device -> {
          ctx.response().putHeader("Location", BASE + id);
          Replies.json(ctx, 201, new JsonObject().put("device", device).put("token", token));
        })
        .onFailure(ctx::fail);
  }

  /** Short enough for MQTT 3.1.1 client ids (23 characters). */
  static String generatedId() {
    byte[] bytes = new byte[8];
    RANDOM.nextBytes(bytes);
    return "d-" + HexFormat.of().formatHex(bytes);
  }

  void list(RoutingContext ctx) {
    String state = Replies.queryString(ctx, "state");
    String kind = Replies.queryString(ctx, "kind");
    String capability = Replies.queryString(ctx, "capability");
    String after = Replies.queryString(ctx, "after");
    RequestParameter limitParam = Replies.query(ctx, "limit");
    int limit = limitParam == null ? 50 : limitParam.getInteger();
    Replies.respond(ctx, 200, control.devices().map(all -> {
      List<Device> matching = new ArrayList<>();
      for (Device d : all) {
        if (state != null && d.online() != "ONLINE".equals(state)) continue;
        if (kind != null && !kind.equals(d.kind())) continue;
        if (capability != null && !d.capabilities().contains(capability)) continue;
        if (after != null && d.id().compareTo(after) <= 0) continue;
        matching.add(d);
      }
      matching.sort(Comparator.comparing(Device::id));
      JsonArray items = new JsonArray();
      for (int i = 0; i < Math.min(limit, matching.size()); i++) items.add(matching.get(i).toJson());
      String next = matching.size() > limit ? matching.get(limit - 1).id() : null;
      return new JsonObject().put("items", items).put("next", next);
    }));
  }

  void get(RoutingContext ctx) {
    String id = Replies.path(ctx, "id");
    Replies.respond(ctx, 200, control.device(id).map(d -> {
      if (d == null) throw ApiException.notFound("device", id);
      return d.toJson();
    }));
  }

  void drain(RoutingContext ctx) {
    String id = Replies.path(ctx, "id");
    boolean draining = Replies.body(ctx).getBoolean("draining", true);
    Replies.respond(ctx, 200, control.propose(new Command.SetDraining(id, draining, clock.getAsLong()))
        .compose(applied -> applied.refused() ? Future.failedFuture(Replies.refusal(applied.reply()))
            : Future.succeededFuture(applied.reply().getJsonObject("device"))));
  }

  void remove(RoutingContext ctx) {
    String id = Replies.path(ctx, "id");
    control.propose(new Command.RemoveDevice(id, clock.getAsLong()))
        .compose(applied -> applied.refused() ? Future.failedFuture(Replies.refusal(applied.reply()))
            : Future.<Void>succeededFuture())
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }
}
