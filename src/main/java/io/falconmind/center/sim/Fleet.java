package io.falconmind.center.sim;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A simulated device fleet on a given {@link Vertx}: one {@link FleetVerticle} per event loop owns a
 * slice of the devices; an optional {@link MissionSubmitter} adds load. Usable in-process (by the
 * benchmark) as well as from the {@code simulate} command.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #stop()} once. Devices stay registered at the
 * center after stop.
 */
public final class Fleet {
  private final Vertx vertx;
  private final SimOptions options;
  private final String adminToken;
  private final FleetStats stats = new FleetStats();
  private final List<SimDevice> devices = new ArrayList<>();
  private final List<String> deployments = new ArrayList<>();
  private final Random random;

  public Fleet(Vertx vertx, SimOptions options, String adminToken) {
    this.vertx = vertx;
    this.options = options;
    this.adminToken = adminToken;
    this.random = options.seed() == null ? new Random() : new Random(options.seed());
    for (int i = 0; i < options.devices(); i++) {
      devices.add(new SimDevice(vertx, options, stats, new Random(random.nextLong()), i));
    }
  }

  public FleetStats stats() {
    return stats;
  }

  public SimOptions options() {
    return options;
  }

  /**
   * Deploys the fleet. Completes once the verticles run; registration and connection go on in the
   * background (watch {@link #stats()} or {@link #allConnected()}).
   */
  public Future<Void> start() {
    int slices = Math.max(1, Math.min(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, devices.size()));
    List<List<SimDevice>> parts = new ArrayList<>();
    for (int i = 0; i < slices; i++) parts.add(new ArrayList<>());
    for (int i = 0; i < devices.size(); i++) parts.get(i % slices).add(devices.get(i));
    int perSlice = Math.max(1, (options.registerConcurrency() + slices - 1) / slices);
    List<Future<String>> deployed = new ArrayList<>();
    for (List<SimDevice> part : parts) {
      deployed.add(vertx.deployVerticle(new FleetVerticle(options, adminToken, part, perSlice, stats),
          new DeploymentOptions()));
    }
    if (options.submitRate() > 0) {
      deployed.add(vertx.deployVerticle(new MissionSubmitter(options, adminToken, stats,
          new Random(random.nextLong())), new DeploymentOptions()));
    }
    return Future.all(deployed).map(cf -> {
      for (int i = 0; i < cf.size(); i++) deployments.add(cf.resultAt(i));
      return null;
    });
  }

  /** Completes when every device has connected once. */
  public Future<Void> allConnected() {
    List<Future<Void>> all = new ArrayList<>();
    for (SimDevice d : devices) all.add(d.firstConnect());
    return Future.all(all).mapEmpty();
  }

  /** Disconnects every device and stops submitting. */
  public Future<Void> stop() {
    List<Future<Void>> undeployed = new ArrayList<>();
    for (String id : deployments) undeployed.add(vertx.undeploy(id));
    deployments.clear();
    return Future.join(undeployed).mapEmpty();
  }
}
