package io.falconmind.center.it.cluster;

import io.falconmind.center.it.Eventually;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link ProbeDevice}s spread over the nodes of a {@link LocalCluster}: device {@code i} first
 * connects to node {@code i mod n}; after a lost link each one moves to the next serving node.
 * Answers the device-side question of the fault checks: was a mission ever held by two devices at
 * once?
 */
final class ProbeFleet implements AutoCloseable {

  /** Two devices that worked on the same mission at the same time. */
  record Overlap(Holding first, Holding second) {
  }

  private final List<ProbeDevice> devices = new ArrayList<>();
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "probe-device-work");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger rotation = new AtomicInteger();
  private final LocalCluster cluster;

  private ProbeFleet(LocalCluster cluster) {
    this.cluster = cluster;
  }

  /**
   * Registers {@code count} devices ({@code <prefix>-1}, ...) over REST, connects them and waits
   * until the center lists them all ONLINE with their profile.
   */
  static ProbeFleet start(LocalCluster cluster, String prefix, int count, long workMs, Duration wait) {
    ProbeFleet fleet = new ProbeFleet(cluster);
    List<ClusterNode> nodes = cluster.serving();
    for (int i = 0; i < count; i++) {
      String id = prefix + "-" + (i + 1);
      ClusterNode home = nodes.get(i % nodes.size());
      String token = register(cluster, home, id, wait);
      ProbeDevice d = new ProbeDevice(id, token, home.ports.mqtt(), workMs, fleet.timers, fleet::nextMqttPort);
      fleet.devices.add(d);
      d.connect();
    }
    for (ProbeDevice d : fleet.devices) {
      NodeHttp http = cluster.http(cluster.serving().get(0));
      Eventually.until(wait, d.id() + " online as " + ProbeDevice.KIND, () -> http.get("/api/v1/devices/" + d.id()),
          r -> r.status() == 200 && "ONLINE".equals(r.json().getString("state"))
              && ProbeDevice.KIND.equals(r.json().getString("kind")));
    }
    return fleet;
  }

  private static String register(LocalCluster cluster, ClusterNode node, String id, Duration wait) {
    NodeHttp.Reply r = Eventually.until(wait, "register " + id,
        () -> cluster.http(node).post("/api/v1/devices", new JsonObject().put("id", id), null),
        reply -> reply.status() == 201);
    return r.json().getString("token");
  }

  /** The MQTT port of the next serving node, round robin (the device's reconnect target). */
  private int nextMqttPort() {
    List<ClusterNode> serving = cluster.serving();
    if (serving.isEmpty()) return cluster.nodes().get(0).ports.mqtt();
    return serving.get(Math.floorMod(rotation.getAndIncrement(), serving.size())).ports.mqtt();
  }

  List<ProbeDevice> devices() {
    return devices;
  }

  /** Every pair of devices whose spans on the same mission overlap. */
  List<Overlap> overlaps() {
    long now = System.currentTimeMillis();
    Map<String, List<Holding>> byMission = new HashMap<>();
    for (ProbeDevice d : devices) {
      for (Holding h : d.holdings()) byMission.computeIfAbsent(h.missionId(), k -> new ArrayList<>()).add(h);
    }
    List<Overlap> out = new ArrayList<>();
    for (List<Holding> spans : byMission.values()) {
      for (int i = 0; i < spans.size(); i++) {
        for (int j = i + 1; j < spans.size(); j++) {
          Holding a = spans.get(i);
          Holding b = spans.get(j);
          if (!a.deviceId().equals(b.deviceId()) && a.overlaps(b, now)) out.add(new Overlap(a, b));
        }
      }
    }
    return out;
  }

  /** Missions whose SUCCEEDED the center acknowledged to more than one device: run to the end twice. */
  Map<String, Set<String>> acceptedTwice() {
    Map<String, Set<String>> byMission = new HashMap<>();
    for (ProbeDevice d : devices) {
      for (String m : d.succeededAccepted()) byMission.computeIfAbsent(m, k -> new HashSet<>()).add(d.id());
    }
    byMission.values().removeIf(s -> s.size() < 2);
    return byMission;
  }

  /** Missions that more than one device ran to the end (sent SUCCEEDED for), whether or not accepted. */
  int ranToTheEndTwice() {
    Map<String, Set<String>> byMission = new HashMap<>();
    for (ProbeDevice d : devices) {
      for (Holding h : d.holdings()) {
        if ("done".equals(h.endedBy())) byMission.computeIfAbsent(h.missionId(), k -> new HashSet<>()).add(d.id());
      }
    }
    return (int) byMission.values().stream().filter(s -> s.size() > 1).count();
  }

  int deliveries() {
    return devices.stream().mapToInt(ProbeDevice::deliveries).sum();
  }

  int redeliveries() {
    return devices.stream().mapToInt(ProbeDevice::redeliveries).sum();
  }

  int refusals() {
    return devices.stream().mapToInt(ProbeDevice::refusals).sum();
  }

  int connected() {
    return (int) devices.stream().filter(ProbeDevice::connected).count();
  }

  @Override
  public void close() {
    devices.parallelStream().forEach(ProbeDevice::close);
    timers.shutdownNow();
  }
}
