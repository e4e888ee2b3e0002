package io.falconmind.center.it.cluster;

import io.falconmind.center.it.Eventually;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The invariants every fault is followed by, checked from the outside: through REST, through every
 * node's feed, and through the devices' own record. Remembers the terminal state it saw for each
 * mission, so a later round also proves that an ended mission stayed ended. Driven by one thread.
 */
final class ClusterChecks {

  private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELED", "EXPIRED");

  private final LocalCluster cluster;
  private final MissionLoad load;
  private final ProbeFleet fleet;
  private final List<NodeFeed> feeds;
  /** missionId -> the terminal state a previous round saw. */
  private final Map<String, String> ended = new HashMap<>();
  private final List<String> changed = new ArrayList<>();

  ClusterChecks(LocalCluster cluster, MissionLoad load, ProbeFleet fleet, List<NodeFeed> feeds) {
    this.cluster = cluster;
    this.load = load;
    this.fleet = fleet;
    this.feeds = feeds;
  }

  /** What one round of checks found; {@link #problems()} empty means every invariant held. */
  record Round(int acked, Map<String, Integer> byState, List<String> notEnded, List<String> changed,
               List<String> seqViolations, List<String> auditViolations, List<ProbeFleet.Overlap> overlaps,
               Map<String, Set<String>> acceptedTwice, List<MissionLoad.Refused> refused, List<String> gaveUp,
               List<String> feedsBehind, List<String> feedsDisagree, List<String> feedsDiverge,
               List<String> nodesDisagree, String notFormed, String devices) {

    List<String> problems() {
      List<String> out = new ArrayList<>();
      if (notFormed != null) out.add("the cluster is not formed: " + notFormed);
      if (!notEnded.isEmpty()) out.add("devices as the center lists them: " + devices);
      notEnded.forEach(s -> out.add("acknowledged mission not ended: " + s));
      changed.forEach(s -> out.add("ended mission changed: " + s));
      seqViolations.forEach(s -> out.add("feed seq: " + s));
      auditViolations.forEach(s -> out.add("feed attempts: " + s));
      overlaps.forEach(o -> out.add("held by two devices at once: " + o.first() + " and " + o.second()));
      acceptedTwice.forEach((m, d) -> out.add("mission " + m + " SUCCEEDED accepted from " + d));
      refused.forEach(r -> out.add("submit refused: " + r));
      gaveUp.forEach(s -> out.add("submit never acknowledged: " + s));
      feedsBehind.forEach(s -> out.add("feed behind: " + s));
      feedsDisagree.forEach(s -> out.add("feed and store disagree: " + s));
      feedsDiverge.forEach(s -> out.add("feeds of two nodes differ: " + s));
      nodesDisagree.forEach(s -> out.add("node and store disagree: " + s));
      return out;
    }

    String summary() {
      return acked + " acknowledged missions, ended " + byState;
    }
  }

  /**
   * Waits until every mission acknowledged before now has ended (as the shared database lists them
   * through a serving node) and every serving node's feed has reached the leader's seq, then reports
   * every invariant.
   */
  Round run(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    Map<String, MissionLoad.Acked> acked = load.acked();
    Map<String, String> states = awaitEnded(acked.keySet(), deadline);
    List<String> notEnded = new ArrayList<>();
    Map<String, Integer> byState = new TreeMap<>();
    for (String id : acked.keySet()) {
      String state = states.get(id);
      if (state == null || !TERMINAL.contains(state)) {
        notEnded.add(id + " (" + (state == null ? "not found" : state) + ", " + describe(id) + ")");
        continue;
      }
      byState.merge(state, 1, Integer::sum);
      String before = ended.putIfAbsent(id, state);
      if (before != null && !before.equals(state)) changed.add(id + " was " + before + ", now " + state);
    }
    String notFormed = awaitFormed(deadline);
    List<String> behind = awaitFeedsCaughtUp(deadline);
    List<String> seq = new ArrayList<>();
    List<String> audit = new ArrayList<>();
    for (NodeFeed f : feeds) {
      seq.addAll(f.seqViolations());
      audit.addAll(f.auditViolations());
    }
    return new Round(acked.size(), byState, notEnded, List.copyOf(changed), seq, audit, fleet.overlaps(),
        fleet.acceptedTwice(), load.refused(), load.gaveUp(), behind, feedsDisagreeing(behind), feedsDiverging(),
        nodesDisagreeing(states), notFormed, notEnded.isEmpty() ? "" : describeDevices());
  }

  /**
   * Every caught-up feed (it followed its node from seq 0) ended each mission the way the store
   * says, and no feed ended a mission the store has still open.
   */
  private List<String> feedsDisagreeing(List<String> behind) {
    List<String> out = new ArrayList<>();
    for (NodeFeed f : feeds) {
      if (!f.node().serving() || behind.stream().anyMatch(b -> b.startsWith(f.node().id + " "))) continue;
      for (Map.Entry<String, String> e : ended.entrySet()) {
        String seen = f.terminal(e.getKey());
        if (!e.getValue().equals(seen) && out.size() < 50) {
          String elsewhere = feeds.stream().filter(o -> o.terminal(e.getKey()) != null).findFirst()
              .map(o -> o.node().id + "'s feed ended it at seq " + o.terminalSeq(e.getKey())).orElse("no feed ended it");
          out.add(f.node().id + " (feed at seq " + f.lastSeq() + ") shows mission " + e.getKey() + " as "
              + (seen == null ? "not ended" : seen) + ", the store as " + e.getValue() + "; " + elsewhere);
        }
      }
    }
    return out;
  }

  /**
   * Every node's feed carries the same event under the same seq: the nodes apply one log. Compares
   * each feed with the first one that saw the seq; reports the first few differences with the
   * resumes of both feeds.
   */
  private List<String> feedsDiverging() {
    List<String> out = new ArrayList<>();
    java.util.Set<Long> all = new java.util.TreeSet<>();
    for (NodeFeed f : feeds) all.addAll(f.seqs());
    for (long seq : all) {
      NodeFeed first = null;
      String expected = null;
      for (NodeFeed f : feeds) {
        String fp = f.fingerprint(seq);
        if (fp == null) continue;
        if (expected == null) {
          first = f;
          expected = fp;
        } else if (!expected.equals(fp) && out.size() < 20) {
          out.add("seq " + seq + ": " + first.node().id + " [" + expected + "] vs " + f.node().id + " [" + fp
              + "]; resumes of " + f.node().id + ": " + f.resumes());
        }
      }
    }
    return out;
  }

  /**
   * Every serving node answers {@code GET /missions/{id}} (served from its memory while the mission
   * is retained there) with the state the store lists, for a random sample of ended missions.
   */
  private List<String> nodesDisagreeing(Map<String, String> states) {
    List<String> ids = new ArrayList<>(ended.keySet());
    java.util.Collections.shuffle(ids);
    List<String> out = new ArrayList<>();
    for (String id : ids.subList(0, Math.min(20, ids.size()))) {
      for (ClusterNode n : cluster.serving()) {
        NodeHttp.Reply r = cluster.http(n).get("/api/v1/missions/" + id);
        String served = r.status() == 200 ? r.json().getString("state") : "HTTP " + r.status();
        if (!Objects.equals(served, states.get(id)) && out.size() < 20) {
          out.add(n.id + " serves mission " + id + " as " + served + ", the store lists " + states.get(id));
        }
      }
    }
    return out;
  }

  /** Polls the shared store's listing until each of {@code ids} is in a terminal state or the deadline passes. */
  private Map<String, String> awaitEnded(Set<String> ids, long deadline) {
    Map<String, String> states = Map.of();
    while (true) {
      try {
        Map<String, String> listed = listStates();
        states = listed;
        if (ids.stream().allMatch(id -> TERMINAL.contains(listed.get(id)))) return listed;
      } catch (RuntimeException e) {
        // no serving node answered this time
      }
      if (System.nanoTime() > deadline) return states;
      sleepMs(250);
    }
  }

  /** id -> state of every probe mission, paged through {@code GET /missions} of a serving node. */
  Map<String, String> listStates() {
    ClusterNode node = cluster.serving().get(0);
    NodeHttp http = cluster.http(node);
    Map<String, String> out = new LinkedHashMap<>();
    String after = null;
    for (int page = 0; page < 10_000; page++) {
      String path = "/api/v1/missions?limit=500&type=" + MissionLoad.TYPE
          + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
      NodeHttp.Reply r = http.get(path);
      if (r.status() != 200) throw new IllegalStateException("list missions on " + node.id + ": " + r);
      JsonObject body = r.json();
      JsonArray items = body.getJsonArray("items");
      for (int i = 0; i < items.size(); i++) {
        JsonObject m = items.getJsonObject(i);
        out.put(m.getString("id"), m.getString("state"));
      }
      after = body.getString("next");
      if (after == null || items.isEmpty()) break;
    }
    return out;
  }

  /** Each probe device as the center lists it (state, node, open missions) next to the device's own view, for a failure message. */
  private String describeDevices() {
    StringBuilder out = new StringBuilder();
    for (ProbeDevice d : fleet.devices()) {
      NodeHttp.Reply r = cluster.http(cluster.serving().get(0)).get("/api/v1/devices/" + d.id());
      if (r.status() != 200) {
        out.append(d.id()).append(": ").append(r).append("; ");
        continue;
      }
      JsonObject j = r.json();
      out.append(d.id()).append(": center says ").append(j.getString("state")).append(" on ").append(j.getString("nodeId"))
          .append(" holding [");
      for (Object held : j.getJsonArray("activeMissions", new io.vertx.core.json.JsonArray())) {
        NodeHttp.Reply m = cluster.http(cluster.serving().get(0)).get("/api/v1/missions/" + held);
        if (m.status() != 200) {
          out.append(held).append(" ?");
          continue;
        }
        JsonObject mj = m.json();
        io.vertx.core.json.JsonArray attempts = mj.getJsonArray("attempts", new io.vertx.core.json.JsonArray());
        out.append(held).append(' ').append(mj.getString("state")).append(" attempt ").append(mj.getInteger("attempt"))
            .append(attempts.isEmpty() ? "" : " assigned at " + attempts.getJsonObject(attempts.size() - 1).getString("assignedAt"))
            .append(" timeout ").append(mj.getInteger("timeoutSec")).append("s");
      }
      out.append("], device ").append(d.connected() ? "connected" : "disconnected").append(" (")
          .append(d.connects()).append(" connects) holding ")
          .append(d.holdings().stream().filter(h -> h.endedAt() == null).map(h -> h.missionId() + "#" + h.attempt()).toList())
          .append(", last held ").append(d.holdings().stream().max(java.util.Comparator.comparingLong(Holding::from))
              .map(Holding::toString).orElse("nothing")).append("; ");
    }
    ClusterView lv = cluster.formedView();
    out.append("leader ").append(lv == null ? "none agreed" : lv.self()).append(" at ").append(java.time.Instant.now());
    return out.toString();
  }

  /** A mission as the first serving node shows it, for a failure message. */
  private String describe(String id) {
    for (ClusterNode n : cluster.serving()) {
      NodeHttp.Reply r = cluster.http(n).get("/api/v1/missions/" + id);
      if (r.status() >= 0) return "GET on " + n.id + ": " + r;
    }
    return "no serving node answered";
  }

  /** Waits for the cluster to be formed; returns null once it is, else what the nodes said. */
  private String awaitFormed(long deadline) {
    LocalCluster.Formation f = cluster.formation();
    while (f.leaderView() == null && System.nanoTime() < deadline) {
      sleepMs(250);
      f = cluster.formation();
    }
    return f.leaderView() == null ? f.seen() : null;
  }

  /**
   * Waits until every serving node's feed reached the highest seq any serving node reports having
   * applied when called; returns the feeds that did not.
   */
  private List<String> awaitFeedsCaughtUp(long deadline) {
    long target = -1;
    for (ClusterNode n : cluster.serving()) {
      ClusterView v = cluster.view(n);
      if (v != null && v.selfMember() != null) target = Math.max(target, v.selfMember().seq());
    }
    List<String> behind = new ArrayList<>();
    for (NodeFeed f : feeds) {
      if (!f.node().serving() || target < 0) continue;
      while (f.lastSeq() < target && System.nanoTime() < deadline) sleepMs(100);
      if (f.lastSeq() < target) behind.add(f.node().id + " at seq " + f.lastSeq() + ", the cluster at " + target);
    }
    return behind;
  }

  /**
   * Scheduling works: {@code count} missions acknowledged at or after {@code since} reach SUCCEEDED
   * (read from the serving nodes in turn). Returns how long that took from {@code since}.
   */
  long awaitSchedulingResumed(long since, int count, Duration wait) {
    List<String> ids = Eventually.until(wait, count + " missions acknowledged after the fault",
        () -> load.ackedSince(since), l -> l.size() >= count).subList(0, count);
    for (String id : ids) {
      Eventually.until(wait, "mission " + id + " (acknowledged after the fault) SUCCEEDED", () -> {
        for (ClusterNode n : cluster.serving()) {
          NodeHttp.Reply r = cluster.http(n).get("/api/v1/missions/" + id);
          if (r.status() == 200) return r.json().getString("state");
        }
        return null;
      }, s -> Objects.equals(s, "SUCCEEDED"));
    }
    return System.currentTimeMillis() - since;
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
