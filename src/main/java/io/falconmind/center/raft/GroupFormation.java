package io.falconmind.center.raft;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.SharedData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How a joining node finds the Raft group it takes part in. The group record, one entry of a
 * cluster-wide map ({@code id}, {@code voters}, {@code learners}, {@code formedAt}), names the
 * first members of the current group: a node listed there joins as a member even if the others
 * started first; a node that hears from a member of a live group becomes a gateway of it; and once
 * {@code bootstrapExpect} joining nodes are present and no group is alive, one of them forms a new
 * group under a cluster-wide lock, its first voters and learners taken in endpoint order. Not
 * thread-safe: used on the Raft verticle's context.
 */
final class GroupFormation {

  private static final Logger log = LoggerFactory.getLogger(GroupFormation.class);
  private static final String GROUP_MAP = "center.raft";
  private static final String GROUP_KEY = "group";
  private static final String BOOTSTRAP_LOCK = "center.raft.bootstrap";
  /** A group counts as alive this long after it was formed, before its members are heard from. */
  static final long FORMING_MS = 15_000;

  private final Clustering cluster;
  private final Presence presence;
  private final LongSupplier wallClockMillis;
  private long lastWaitLogNanos;

  GroupFormation(Clustering cluster, Presence presence, LongSupplier wallClockMillis) {
    this.cluster = cluster;
    this.presence = presence;
    this.wallClockMillis = wallClockMillis;
  }

  /**
   * The group {@code endpoint} should take part in: a group record (it is a member when listed
   * there, else a gateway), a record of the group's {@code id} alone (a gateway), or null while too
   * few nodes are present to form one. Fails when the cluster-wide map or lock cannot be reached;
   * the caller tries again.
   */
  Future<JsonObject> find(SharedData shared, String endpoint, long nowNanos) {
    return shared.<String, JsonObject>getAsyncMap(GROUP_MAP)
        .compose(map -> map.get(GROUP_KEY).compose(record -> {
          // a node named in the group record joins as a member, even if the others started first
          if (record != null && listed(record, endpoint) && alive(record, System.nanoTime())) {
            return Future.succeededFuture(record);
          }
          String live = liveGroup(endpoint, System.nanoTime());
          if (live != null) return Future.succeededFuture(new JsonObject().put("id", live));
          int present = presence.alive(System.nanoTime()).size();
          if (present < cluster.bootstrapExpect()) {
            if (nowNanos - lastWaitLogNanos > TimeUnit.SECONDS.toNanos(10)) {
              lastWaitLogNanos = nowNanos;
              log.info("waiting for {} nodes to form the Raft group; {} present", cluster.bootstrapExpect(), present);
            }
            return Future.<JsonObject>succeededFuture(null);
          }
          return shared.getLockWithTimeout(BOOTSTRAP_LOCK, 5_000).compose(lock -> map.get(GROUP_KEY)
              .compose(existing -> {
                if (existing != null && alive(existing, System.nanoTime())) return Future.succeededFuture(existing);
                JsonObject formed = form(presence.alive(System.nanoTime()));
                if (formed == null) return Future.<JsonObject>succeededFuture(null);
                return map.put(GROUP_KEY, formed).map(formed);
              })
              .onComplete(ar -> lock.release()));
        }));
  }

  static boolean listed(JsonObject record, String endpoint) {
    return record.getJsonArray("voters", new JsonArray()).contains(endpoint)
        || record.getJsonArray("learners", new JsonArray()).contains(endpoint);
  }

  /** The group of a voter or learner other than {@code endpoint} heard from recently, or null. */
  String liveGroup(String endpoint, long nowNanos) {
    for (JsonObject info : presence.alive(nowNanos)) {
      if (info.getString("group") != null && isMember(info) && !endpoint.equals(info.getString("endpoint"))) {
        return info.getString("group");
      }
    }
    return null;
  }

  /** A group is alive while one of its voters or learners is heard from, or for a short while after it was formed. */
  boolean alive(JsonObject record, long nowNanos) {
    if (wallClockMillis.getAsLong() - record.getLong("formedAt", 0L) < FORMING_MS) return true;
    for (JsonObject info : presence.alive(nowNanos)) {
      if (record.getString("id").equals(info.getString("group")) && isMember(info)) return true;
    }
    return false;
  }

  /** A new group of the joining nodes in {@code alive}, or null when fewer than {@code bootstrapExpect} are joining. */
  JsonObject form(List<JsonObject> alive) {
    List<String> candidates = new ArrayList<>();
    for (JsonObject info : alive) {
      if ("joining".equals(info.getString("member"))) candidates.add(info.getString("endpoint"));
    }
    if (candidates.size() < cluster.bootstrapExpect()) return null;
    candidates.sort(Comparator.naturalOrder());
    int voters = Math.min(cluster.voters(), candidates.size());
    int learners = Math.min(cluster.learners(), candidates.size() - voters);
    JsonObject record = new JsonObject().put("id", UUID.randomUUID().toString())
        .put("voters", new JsonArray(candidates.subList(0, voters)))
        .put("learners", new JsonArray(candidates.subList(voters, voters + learners)))
        .put("formedAt", wallClockMillis.getAsLong());
    log.info("forming a new Raft group {}: voters {}, learners {}", record.getString("id"),
        record.getJsonArray("voters"), record.getJsonArray("learners"));
    return record;
  }

  private static boolean isMember(JsonObject info) {
    String kind = info.getString("member");
    return "voter".equals(kind) || "learner".equals(kind);
  }
}
