package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The leader's choice of the next membership change. */
class GroupUpkeepTest {

  private static final long SEC = 1_000_000_000L;
  private static final RaftEndpoint A = new NodeEndpoint("a.1");
  private static final RaftEndpoint B = new NodeEndpoint("b.1");
  private static final RaftEndpoint C = new NodeEndpoint("c.1");
  private static final RaftEndpoint L = new NodeEndpoint("l.1");

  private final Map<String, JsonObject> heard = new HashMap<>();
  private final GroupUpkeep upkeep = new GroupUpkeep(3, 1, 6 * SEC);

  private void hear(String endpoint, String member, long commitIndex) {
    heard.put(endpoint, new JsonObject().put("endpoint", endpoint).put("member", member).put("group", "g")
        .put("commitIndex", commitIndex).put("appliedIndex", commitIndex));
  }

  private GroupUpkeep.Change next(List<RaftEndpoint> members, List<RaftEndpoint> voters, long now) {
    return upkeep.next(A, members, voters, heard::get, heard.values(), "g", 10_000, now);
  }

  @Test
  void aWholeGroupNeedsNothing() {
    hear("b.1", "voter", 10_000);
    hear("c.1", "voter", 10_000);
    hear("l.1", "learner", 10_000);

    assertThat(next(List.of(A, B, C, L), List.of(A, B, C), 0).kind()).isEqualTo(GroupUpkeep.Kind.NONE);
  }

  @Test
  void aVoterAbsentPastTheGraceIsRemovedNotBefore() {
    hear("c.1", "voter", 10_000);
    hear("l.1", "learner", 10_000);

    assertThat(next(List.of(A, B, C, L), List.of(A, B, C), 0).kind()).isEqualTo(GroupUpkeep.Kind.NONE);
    assertThat(next(List.of(A, B, C, L), List.of(A, B, C), 5 * SEC).kind()).isEqualTo(GroupUpkeep.Kind.NONE);
    GroupUpkeep.Change change = next(List.of(A, B, C, L), List.of(A, B, C), 6 * SEC);

    assertThat(change.kind()).isEqualTo(GroupUpkeep.Kind.REMOVE);
    assertThat(change.member()).isEqualTo(B);
    assertThat(change.why()).isEqualTo("voter absent");
  }

  @Test
  void aMemberHeardAgainStartsItsGraceAfresh() {
    hear("c.1", "voter", 10_000);
    next(List.of(A, B, C), List.of(A, B, C), 0);
    hear("b.1", "voter", 10_000);
    next(List.of(A, B, C), List.of(A, B, C), 4 * SEC);
    heard.remove("b.1");

    assertThat(next(List.of(A, B, C), List.of(A, B, C), 9 * SEC).kind()).isEqualTo(GroupUpkeep.Kind.NONE);
    assertThat(next(List.of(A, B, C), List.of(A, B, C), 15 * SEC).kind()).isEqualTo(GroupUpkeep.Kind.REMOVE);
  }

  @Test
  void aCaughtUpLearnerIsPromotedWhenAVoterIsMissingALaggingOneIsNot() {
    hear("c.1", "voter", 10_000);
    hear("l.1", "learner", 10_000 - GroupUpkeep.PROMOTE_MAX_LAG - 1);
    assertThat(next(List.of(A, C, L), List.of(A, C), 0).kind()).isNotEqualTo(GroupUpkeep.Kind.PROMOTE);

    hear("l.1", "learner", 9_990);
    GroupUpkeep.Change change = next(List.of(A, C, L), List.of(A, C), 0);
    assertThat(change.kind()).isEqualTo(GroupUpkeep.Kind.PROMOTE);
    assertThat(change.member()).isEqualTo(L);
  }

  @Test
  void theMostAdvancedGatewayOfTheGroupIsEnlistedWhenALearnerIsMissing() {
    hear("b.1", "voter", 10_000);
    hear("c.1", "voter", 10_000);
    hear("g1.1", "gateway", 9_000);
    hear("g2.1", "gateway", 9_500);
    heard.put("x.1", new JsonObject().put("endpoint", "x.1").put("member", "gateway").put("group", "other")
        .put("appliedIndex", 99_999));

    GroupUpkeep.Change change = next(List.of(A, B, C), List.of(A, B, C), 0);

    assertThat(change.kind()).isEqualTo(GroupUpkeep.Kind.ENLIST);
    assertThat(change.member().getId()).isEqualTo("g2.1");
  }
}
