package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;
import io.microraft.MembershipChangeMode;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The leader's decision, once per tick, about the one membership change the group needs next: a
 * member absent longer than the grace period is removed; when a voter is missing, a learner that
 * is caught up is promoted; when a learner is missing, the most advanced gateway of the group is
 * enlisted. Remembers since when each member has been absent. Not thread-safe: used on the Raft
 * verticle's context.
 */
final class GroupUpkeep {

  /** A promoted learner is at most this many entries behind the leader's commit index. */
  static final long PROMOTE_MAX_LAG = 5_000;

  /** What to do next; {@code member} is null for {@link Kind#NONE}. */
  record Change(Kind kind, RaftEndpoint member, String why) {
    static final Change NONE = new Change(Kind.NONE, null, null);

    /** The MicroRaft change to propose, for {@link Kind#REMOVE} and {@link Kind#PROMOTE}. */
    MembershipChangeMode mode() {
      return kind == Kind.REMOVE ? MembershipChangeMode.REMOVE_MEMBER : MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER;
    }
  }

  enum Kind {
    NONE, REMOVE, PROMOTE, ENLIST
  }

  private final int wantVoters;
  private final int wantLearners;
  private final long graceNanos;
  private final Map<String, Long> absentSince = new HashMap<>();

  /**
   * @param voters     voting members the group should have
   * @param learners   learners the group should have (besides those standing in for missing voters)
   * @param graceNanos how long a member may be absent before it is removed
   */
  GroupUpkeep(int voters, int learners, long graceNanos) {
    this.wantVoters = voters;
    this.wantLearners = learners;
    this.graceNanos = graceNanos;
  }

  /**
   * @param self        the leader itself (never absent)
   * @param members     the committed members, voters and learners
   * @param voters      the committed voting members
   * @param presence    the presence record of an endpoint id heard from recently, or null
   * @param alive       every presence record heard from recently
   * @param group       the group's id
   * @param commitIndex the leader's commit index
   * @param now         monotonic nanos
   */
  Change next(RaftEndpoint self, Collection<RaftEndpoint> members, Collection<RaftEndpoint> voters,
              Function<String, JsonObject> presence, Collection<JsonObject> alive, String group, long commitIndex,
              long now) {
    Set<RaftEndpoint> voting = new HashSet<>(voters);
    List<RaftEndpoint> learners = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (RaftEndpoint m : members) {
      String id = String.valueOf(m.getId());
      ids.add(id);
      if (!voting.contains(m)) learners.add(m);
      if (m.equals(self) || presence.apply(id) != null) {
        absentSince.remove(id);
      } else {
        absentSince.putIfAbsent(id, now);
      }
    }
    absentSince.keySet().retainAll(ids);
    for (RaftEndpoint m : members) {
      Long since = absentSince.get(String.valueOf(m.getId()));
      if (since != null && now - since >= graceNanos) {
        return new Change(Kind.REMOVE, m, voting.contains(m) ? "voter absent" : "learner absent");
      }
    }
    if (voting.size() < wantVoters) {
      for (RaftEndpoint l : learners) {
        JsonObject info = presence.apply(String.valueOf(l.getId()));
        if (info != null && commitIndex - info.getLong("commitIndex", 0L) <= PROMOTE_MAX_LAG) {
          return new Change(Kind.PROMOTE, l, "a voter is missing");
        }
      }
    }
    int learnersWanted = Math.min(wantLearners + Math.max(0, wantVoters - voting.size()), 2);
    if (learners.size() >= learnersWanted) return Change.NONE;
    JsonObject best = null;
    for (JsonObject info : alive) {
      if ("gateway".equals(info.getString("member")) && group.equals(info.getString("group"))
          && !ids.contains(info.getString("endpoint"))
          && (best == null || info.getLong("appliedIndex", 0L) > best.getLong("appliedIndex", 0L))) {
        best = info;
      }
    }
    return best == null ? Change.NONE : new Change(Kind.ENLIST, new NodeEndpoint(best.getString("endpoint")),
        "a learner is missing");
  }
}
