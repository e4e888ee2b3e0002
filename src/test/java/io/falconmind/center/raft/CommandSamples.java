package io.falconmind.center.raft;

import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.Command.AssignMissions;
import io.falconmind.center.control.Command.Assignment;
import io.falconmind.center.control.Command.AttemptRef;
import io.falconmind.center.control.Command.CancelMission;
import io.falconmind.center.control.Command.DeviceConnected;
import io.falconmind.center.control.Command.DeviceDisconnected;
import io.falconmind.center.control.Command.EvictFinished;
import io.falconmind.center.control.Command.ExpireMissions;
import io.falconmind.center.control.Command.NewTerm;
import io.falconmind.center.control.Command.RegisterDevice;
import io.falconmind.center.control.Command.RemoveDevice;
import io.falconmind.center.control.Command.ReportStatuses;
import io.falconmind.center.control.Command.SetDraining;
import io.falconmind.center.control.Command.StatusReport;
import io.falconmind.center.control.Command.SubmitMissions;
import io.falconmind.center.control.Command.TimeOutAttempts;
import io.falconmind.center.control.Command.UpdateProfile;
import io.falconmind.center.control.MissionSpec;
import io.falconmind.center.control.Requirements;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Commands to encode: samples of every command type (every field set, and every nullable field
 * null), and a story a small fleet lives through, which uses every command type.
 */
final class CommandSamples {

  static final long T0 = 1_700_000_000_000L;
  /** The term of the samples' setting, so that their decisions are not refused as stale. */
  static final long TERM = 7;

  private CommandSamples() {
  }

  /** Every record type that implements {@link Command}, found through the sealed hierarchy. */
  static Set<Class<?>> commandTypes() {
    Set<Class<?>> out = new LinkedHashSet<>();
    collect(Command.class, out);
    return out;
  }

  private static void collect(Class<?> type, Set<Class<?>> out) {
    if (type.isSealed()) {
      for (Class<?> sub : type.getPermittedSubclasses()) collect(sub, out);
    } else {
      out.add(type);
    }
  }

  /**
   * The state the samples refer to: term 7 begun; d1 (capacity 2, node-a) runs m1; d2 (node-b) is
   * idle; m2 is queued.
   */
  static List<Command> setting() {
    return List.of(
        new NewTerm(TERM, "node-a", T0),
        new RegisterDevice("d1", "Drone One", Map.of("site", "north"), "c0ffee$9f86d081884c", T0),
        new RegisterDevice("d2", "Drone Two", Map.of(), "beef00$60303ae22b99", T0),
        new UpdateProfile("d1", "drone", List.of("camera"), 2, new JsonObject(), Map.of(), T0),
        new UpdateProfile("d2", "drone", List.of("camera"), 1, new JsonObject(), Map.of(), T0),
        new DeviceConnected("d1", "node-a", T0),
        new DeviceConnected("d2", "node-b", T0),
        new SubmitMissions(List.of(plainSpec("m1"), plainSpec("m2")), T0),
        new AssignMissions(List.of(new Assignment("m1", "d1", 1)), TERM, T0),
        new ReportStatuses(List.of(report("m1", "d1", 1, AttemptStatus.RUNNING, 5)), T0 + 1));
  }

  /** Samples of every command type, keyed by type; the first of each sets every field. */
  static Map<Class<?>, List<Command>> byType() {
    long t = T0 + 10_000;
    Map<Class<?>, List<Command>> samples = new LinkedHashMap<>();
    add(samples,
        new RegisterDevice("d9", "Drone Nine ✈", Map.of("site", "north", "team", "red"), "0a1b2c$d4e5f6a7b8c9", t),
        new RegisterDevice("d8", null, Map.of(), null, t),
        new RegisterDevice("d7", "no labels", null, "x$y", t));
    add(samples, new RemoveDevice("d2", t), new RemoveDevice(null, t));
    add(samples, new SetDraining("d1", true, t), new SetDraining("d2", false, t));
    add(samples, new DeviceConnected("d2", "node-c", t), new DeviceConnected("d2", null, t));
    add(samples, new DeviceDisconnected("d1", "node-a", t), new DeviceDisconnected("d1", null, t));
    add(samples,
        new UpdateProfile("d1", "drone", List.of("camera", "thermal"), 3, specs(), Map.of("fw", "1.4.2"), t),
        new UpdateProfile("d2", null, List.of(), 0, null, Map.of(), t));
    add(samples,
        new SubmitMissions(List.of(fullSpec("m3"), plainSpec("m4"), bareSpec("m5")), t),
        new SubmitMissions(List.of(), t),
        new SubmitMissions(null, t));
    add(samples,
        new AssignMissions(List.of(new Assignment("m2", "d2", 1), new Assignment("m9", "d1", 1)), TERM, t),
        new AssignMissions(List.of(), -1, t));
    add(samples,
        new ReportStatuses(List.of(
            report("m1", "d1", 1, AttemptStatus.ACCEPTED, null),
            report("m1", "d1", 1, AttemptStatus.RUNNING, 42),
            new StatusReport("m1", "d1", 1, AttemptStatus.SUCCEEDED, 100,
                new JsonObject().put("photos", 12).put("areaKm2", 1.25).put("tiles", new JsonArray().add("a").add("b")),
                null)), t),
        new ReportStatuses(List.of(new StatusReport("m1", "d1", 1, AttemptStatus.FAILED, null, null,
            new JsonObject().put("code", "wind").put("message", "gusts over 15 m/s").put("retryable", true))), t),
        new ReportStatuses(List.of(), t));
    add(samples, new CancelMission("m1", "operator changed the plan", t), new CancelMission("m2", null, t));
    add(samples,
        new TimeOutAttempts(List.of(new AttemptRef("m1", 1), new AttemptRef("m2", 0)), TERM, t + 3_600_000),
        new TimeOutAttempts(List.of(), TERM, t));
    add(samples, new ExpireMissions(List.of("m1", "m2"), TERM, t), new ExpireMissions(List.of(), 0, t));
    add(samples, new EvictFinished(t - 1_000, t - 86_400_000L, TERM, t), new EvictFinished(0, 0, 0, 0));
    add(samples, new NewTerm(TERM + 1, "node-b", t), new NewTerm(0, null, 0));
    return samples;
  }

  private static void add(Map<Class<?>, List<Command>> samples, Command... commands) {
    samples.put(commands[0].getClass(), Arrays.asList(commands));
  }

  /**
   * Three devices and eight missions through registration, profiles, assignment, progress, success,
   * retryable and final failures, a rejection, a time-out, a lost device, expiry, cancellation, a
   * change of leader that fences the old leader's decision, idempotent replays, draining, removal
   * and eviction.
   */
  static List<Command> story() {
    List<Command> s = new ArrayList<>();
    s.add(new NewTerm(1, "node-a", T0));
    s.add(new RegisterDevice("d1", "Drone One", Map.of("site", "north", "team", "red"), "c0ffee$9f86d081884c", T0 + 1));
    s.add(new RegisterDevice("d2", "Drone Two", Map.of("site", "south"), "beef00$60303ae22b99", T0 + 2));
    s.add(new RegisterDevice("d3", null, Map.of(), "f00d00$fd61a03af4f7", T0 + 3));
    s.add(new UpdateProfile("d1", "drone", List.of("camera", "lidar"), 2, specs(), Map.of("fw", "1.4.2"), T0 + 10));
    s.add(new UpdateProfile("d2", "drone", List.of("camera"), 1, new JsonObject(), Map.of("site", "south-2"), T0 + 11));
    s.add(new UpdateProfile("d3", "rover", List.of(), 1, new JsonObject().put("wheels", 6), Map.of(), T0 + 12));
    s.add(new DeviceConnected("d1", "node-a", T0 + 20));
    s.add(new DeviceConnected("d2", "node-b", T0 + 21));
    s.add(new DeviceConnected("d3", "node-a", T0 + 22));
    s.add(new SubmitMissions(List.of(fullSpec("m1"), keyedSpec("m2", "k-2"), plainSpec("m3"),
        spec("m4", 1, null), spec("m5", 3, T0 + 1_000)), T0 + 100));
    s.add(new SubmitMissions(List.of(fullSpec("m6"), new MissionSpec("m7", "survey", 50, new JsonObject(),
        Requirements.NONE, 60, 3, null, "k-1", "another-body"), keyedSpec("m8", "k-8")), T0 + 110));
    s.add(new AssignMissions(List.of(new Assignment("m1", "d1", 1), new Assignment("m2", "d2", 1),
        new Assignment("m3", "d1", 1)), 1, T0 + 200));
    s.add(new ReportStatuses(List.of(report("m1", "d1", 1, AttemptStatus.ACCEPTED, null),
        report("m1", "d1", 1, AttemptStatus.RUNNING, 10),
        new StatusReport("m2", "d2", 1, AttemptStatus.REJECTED, null, null,
            new JsonObject().put("code", "busy").put("message", "battery swap").put("retryable", true))), T0 + 300));
    s.add(new ReportStatuses(List.of(report("m1", "d1", 1, AttemptStatus.RUNNING, 55),
        new StatusReport("m3", "d1", 1, AttemptStatus.FAILED, null, null,
            new JsonObject().put("code", "wind").put("message", "too windy").put("retryable", true))), T0 + 400));
    s.add(new ReportStatuses(List.of(new StatusReport("m1", "d1", 1, AttemptStatus.SUCCEEDED, 100,
        new JsonObject().put("photos", 12).put("areaKm2", 1.25), null)), T0 + 500));
    s.add(new SetDraining("d3", true, T0 + 600));
    s.add(new AssignMissions(List.of(new Assignment("m2", "d1", 2), new Assignment("m3", "d2", 2),
        new Assignment("m4", "d3", 1)), 1, T0 + 5_000));
    s.add(new ReportStatuses(List.of(report("m2", "d1", 2, AttemptStatus.RUNNING, 5)), T0 + 5_100));
    s.add(new TimeOutAttempts(List.of(new AttemptRef("m2", 2), new AttemptRef("m3", 2)), 1, T0 + 65_001));
    s.add(new DeviceDisconnected("d2", "node-b", T0 + 66_000));
    s.add(new ExpireMissions(List.of("m5", "m4"), 1, T0 + 67_000));
    s.add(new CancelMission("m4", "operator changed the plan", T0 + 68_000));
    s.add(new NewTerm(2, "node-b", T0 + 69_000));
    s.add(new AssignMissions(List.of(new Assignment("m3", "d1", 3)), 1, T0 + 70_000));
    s.add(new AssignMissions(List.of(new Assignment("m3", "d1", 3), new Assignment("m2", "d1", 3)), 2, T0 + 70_001));
    s.add(new ReportStatuses(List.of(report("m3", "d1", 3, AttemptStatus.RUNNING, 20)), T0 + 70_100));
    s.add(new SetDraining("d3", false, T0 + 70_200));
    s.add(new DeviceConnected("d2", "node-c", T0 + 70_300));
    s.add(new RemoveDevice("d3", T0 + 70_400));
    s.add(new EvictFinished(T0 + 67_500, T0 + 105, 2, T0 + 71_000));
    s.add(new ReportStatuses(List.of(report("m3", "d1", 3, AttemptStatus.SUCCEEDED, null),
        new StatusReport("m2", "d1", 3, AttemptStatus.FAILED, null, null,
            new JsonObject().put("code", "broken").put("message", "motor").put("retryable", false))), T0 + 72_000));
    s.add(new SubmitMissions(List.of(keyedSpec("m9", "k-9")), T0 + 72_100));
    s.add(new AssignMissions(List.of(new Assignment("m9", "d2", 1), new Assignment("m8", "d1", 1)), 2, T0 + 72_200));
    return s;
  }

  /**
   * A fleet as the API and the devices would drive it: devices registered, profiled and connected,
   * missions submitted one per command (UUID ids, SHA-256 request hashes, a key for every other one),
   * as many assigned as devices can hold, and half of those running or succeeded.
   */
  static List<Command> busyFleet(int devices, int missions) {
    List<Command> s = new ArrayList<>();
    long t = T0;
    s.add(new NewTerm(1, "node-a", t));
    for (int d = 0; d < devices; d++) {
      String id = "drone-" + d;
      s.add(new RegisterDevice(id, "Drone " + d, Map.of("site", d % 2 == 0 ? "north" : "south"),
          hex(d, 12) + "$" + hex(d + 7, 32), ++t));
      s.add(new UpdateProfile(id, "drone", List.of("camera", "gps"), 1,
          new JsonObject().put("maxAltitudeM", 120).put("batteryWh", 77.5), Map.of("fw", "1.4.2"), ++t));
      s.add(new DeviceConnected(id, "node-" + (char) ('a' + d % 3), ++t));
    }
    for (int m = 0; m < missions; m++) {
      s.add(new SubmitMissions(List.of(realisticSpec(m)), t += 3));
    }
    for (int d = 0; d < Math.min(devices, missions); d++) {
      String missionId = realisticSpec(d).id();
      String deviceId = "drone-" + d;
      s.add(new AssignMissions(List.of(new Assignment(missionId, deviceId, 1)), 1, t += 2));
      if (d % 2 == 0) s.add(new ReportStatuses(List.of(report(missionId, deviceId, 1, AttemptStatus.RUNNING, 30)), ++t));
      if (d % 4 == 0) {
        s.add(new ReportStatuses(List.of(new StatusReport(missionId, deviceId, 1, AttemptStatus.SUCCEEDED, 100,
            new JsonObject().put("photos", 40 + d % 7), null)), ++t));
      }
    }
    return s;
  }

  /** A mission as the API makes it from a typical request. */
  static MissionSpec realisticSpec(int n) {
    JsonObject payload = new JsonObject()
        .put("area", new JsonObject().put("lat", 48.1 + n * 1e-4).put("lon", 11.5 + n * 1e-4).put("radiusM", 500))
        .put("altitudeM", 60).put("overlap", 0.7);
    Requirements requirements = new Requirements(List.of("camera"), null, Map.of(), 30.0, null);
    return new MissionSpec(new java.util.UUID(0x5eed_0000_0000_4000L + n, 0x8000_0000_0000_0000L + n * 31L).toString(),
        "survey", 50, payload, requirements, 600, 3, null, n % 2 == 0 ? "order-" + (10_000 + n) : null, hex(n, 64));
  }

  /** Deterministic lowercase hex of the given length, standing in for salts and digests. */
  static String hex(int seed, int length) {
    StringBuilder sb = new StringBuilder(length);
    long x = seed * 0x9E3779B97F4A7C15L + 1;
    while (sb.length() < length) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      sb.append(Character.forDigit((int) (x & 15), 16));
    }
    return sb.toString();
  }

  /** Every field set, with non-ASCII text and nested JSON. */
  static MissionSpec fullSpec(String id) {
    JsonObject payload = new JsonObject()
        .put("area", new JsonObject().put("type", "Polygon").put("coordinates",
            new JsonArray().add(new JsonArray().add(new JsonArray().add(11.5).add(48.1))
                .add(new JsonArray().add(11.6).add(48.1)).add(new JsonArray().add(11.6).add(48.2)))))
        .put("altitudeM", 60).put("note", "Überflug café ☕").put("night", false);
    Requirements requirements = new Requirements(List.of("camera", "lidar"), "drone", Map.of("site", "north"),
        35.5, new Requirements.Near(48.15, 11.55, 25.0));
    return new MissionSpec(id, "survey", 80, payload, requirements, 600, 3, T0 + 86_400_000L, "k-1",
        "3f7a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a");
  }

  static MissionSpec plainSpec(String id) {
    return spec(id, 3, null);
  }

  static MissionSpec keyedSpec(String id, String key) {
    return new MissionSpec(id, "inspect", 50, new JsonObject().put("target", id), Requirements.NONE, 60, 3, null,
        key, "hash-of-" + id);
  }

  /** Every nullable field null. */
  static MissionSpec bareSpec(String id) {
    return new MissionSpec(id, null, -5, null, null, 0, 0, null, null, null);
  }

  static MissionSpec spec(String id, int maxAttempts, Long deadline) {
    return new MissionSpec(id, "survey", 50, new JsonObject().put("area", "A"), Requirements.NONE, 60, maxAttempts,
        deadline, null, "h-" + id);
  }

  static StatusReport report(String missionId, String deviceId, int attempt, AttemptStatus status, Integer progress) {
    return new StatusReport(missionId, deviceId, attempt, status, progress, null, null);
  }

  static JsonObject specs() {
    return new JsonObject().put("maxAltitudeM", 120).put("battery", new JsonObject().put("cells", 4).put("wh", 77.5))
        .put("sensors", new JsonArray().add("rgb").add("ir")).put("maxRangeM", 12_000_000_000L);
  }
}
