package io.falconmind.center.sim;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Owns a slice of the simulated fleet on one event loop: registers its devices over REST (a few
 * at a time) and starts each one as soon as it has its token. All its devices run on this
 * verticle's context. Start completes at once; registration carries on in the background.
 */
final class FleetVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(FleetVerticle.class);
  private static final int REGISTER_TRIES = 6;

  private final SimOptions options;
  private final String adminToken;
  private final List<SimDevice> devices;
  private final int concurrency;
  private final FleetStats stats;
  private final List<SimDevice> started = new ArrayList<>();
  private CenterApi api;
  private int next;
  private boolean stopping;

  FleetVerticle(SimOptions options, String adminToken, List<SimDevice> devices, int concurrency,
                FleetStats stats) {
    this.options = options;
    this.adminToken = adminToken;
    this.devices = List.copyOf(devices);
    this.concurrency = Math.max(1, concurrency);
    this.stats = stats;
  }

  @Override
  public Future<?> start() {
    api = new CenterApi(vertx, options.api(), adminToken, concurrency);
    for (int i = 0; i < concurrency; i++) registerNext();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    List<Future<Void>> stops = new ArrayList<>();
    for (SimDevice d : started) stops.add(d.stop());
    return Future.join(stops).eventually(() -> api.close());
  }

  private void registerNext() {
    if (stopping || next >= devices.size()) return;
    SimDevice device = devices.get(next++);
    register(device, 1)
        .onSuccess(token -> {
          stats.registered.incrementAndGet();
          if (stopping) return;
          started.add(device);
          device.start(token);
        })
        .onFailure(e -> log.error("{}: not registered, left out of the fleet: {}", device.id(), e.getMessage()))
        .onComplete(ar -> registerNext());
  }

  private Future<String> register(SimDevice device, int attempt) {
    JsonObject labels = new JsonObject().put("sim", "true").put("kind", device.kind());
    return api.registerDevice(device.id(), labels).recover(e -> {
      boolean clientError = e instanceof CenterApi.Refused r && r.status() >= 400 && r.status() < 500
          && r.status() != 409 && r.status() != 429;
      if (clientError || attempt >= REGISTER_TRIES || stopping) return Future.failedFuture(e);
      long delay = Math.min(10_000, 250L << attempt);
      log.debug("{}: registration failed ({}), retrying in {} ms", device.id(), e.getMessage(), delay);
      return vertx.timer(delay).compose(v -> register(device, attempt + 1));
    });
  }
}
