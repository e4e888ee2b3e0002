package io.falconmind.center.raft;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a node outside a running Raft member knows of leadership: the leader its peers announce, and its own contact with it. */
class LocalMemberTest {

  private static final long NOW = 1_000_000_000_000L;
  private static final long SEC = 1_000_000_000L;
  private final Presence presence = new Presence(3_000);
  private final LocalMember member = new LocalMember("n1", true, 2_000, presence);

  private void hear(String endpoint, String role, String group, long term) {
    presence.heard(new JsonObject().put("endpoint", endpoint).put("role", role).put("group", group).put("term", term), NOW);
  }

  @Test
  void aClusteredNodeTakesAnIncarnationAndANewOneToRejoin() {
    String first = member.endpoint;

    member.reincarnate();

    assertThat(first).startsWith("n1.");
    assertThat(member.endpoint).startsWith("n1.").isNotEqualTo(first);
    assertThat(member.self.id()).isEqualTo(member.endpoint);
    assertThat(new LocalMember("solo", false, 2_000, presence).endpoint).isEqualTo("solo");
  }

  @Test
  void aGatewayFollowsTheLeaderOfItsGroupWithTheHighestTerm() {
    member.mode = LocalMember.Mode.GATEWAY;
    member.group = "g";
    hear("a.1", "LEADER", "g", 3);
    hear("b.1", "LEADER", "g", 5);
    hear("c.1", "LEADER", "other", 9);
    hear("d.1", "FOLLOWER", "g", 7);

    assertThat(member.currentLeader(NOW)).isEqualTo("b.1");
    assertThat(member.currentLeader(NOW + 10 * SEC)).isNull();
  }

  @Test
  void aJoiningNodeTakesALeaderOfAnyGroup() {
    hear("c.1", "LEADER", "other", 9);

    assertThat(member.currentLeader(NOW)).isEqualTo("c.1");
  }

  @Test
  void aGatewayLosesTheLeaderWhenItHasNotHeardFromItForTheHeartbeatTimeout() {
    member.mode = LocalMember.Mode.GATEWAY;
    member.lastLeaderContactNanos = NOW;

    assertThat(member.leaderLost(NOW + 2 * SEC)).isFalse();
    assertThat(member.leaderLost(NOW + 2 * SEC + 1)).isTrue();
  }

  @Test
  void aNodeStillJoiningKnowsNoLeaderOfItsOwnAndLeadsNothing() {
    assertThat(member.leaderLost(NOW)).isTrue();
    assertThat(member.isLeader()).isFalse();
    assertThat(member.term()).isZero();
    assertThat(member.kind()).isEqualTo("joining");
    member.mode = LocalMember.Mode.GATEWAY;
    assertThat(member.kind()).isEqualTo("gateway");
  }

  @Test
  void proposalsAreReplicatedOnAStandaloneMemberButNotOnAClusteredOneThatDoesNotLead() {
    LocalMember solo = new LocalMember("solo", false, 2_000, presence);
    assertThat(solo.replicatesProposals()).isFalse();
    solo.mode = LocalMember.Mode.MEMBER;
    assertThat(solo.replicatesProposals()).isTrue();

    member.mode = LocalMember.Mode.MEMBER;
    assertThat(member.replicatesProposals()).isFalse();
  }
}
