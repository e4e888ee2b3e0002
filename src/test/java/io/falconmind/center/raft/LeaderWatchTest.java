package io.falconmind.center.raft;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A member learns from its leader's announcements that the group no longer has it. */
class LeaderWatchTest {

  private static final long NOW = 1_000_000_000_000L;
  private final Presence presence = new Presence(3_000);
  private final LocalMember member = new LocalMember("n1", true, 2_000, presence);
  private final LeaderWatch watch = new LeaderWatch(null, member, presence, null);

  LeaderWatchTest() {
    member.mode = LocalMember.Mode.MEMBER;
    member.group = "g";
  }

  private void leaderAnnounces(String endpoint, long term, String group, String... members) {
    presence.heard(new JsonObject().put("endpoint", endpoint).put("role", "LEADER").put("group", group)
        .put("term", term).put("groupMembers", new JsonArray(List.of(members))), NOW);
  }

  private int ticksUntilRemoved(int max) {
    for (int tick = 1; tick <= max; tick++) {
      if (watch.removedFromGroup(NOW)) return tick;
    }
    return -1;
  }

  @Test
  void aMemberMissingFromTheLeadersListForFortyTicksIsRemoved() {
    leaderAnnounces("a.1", 4, "g", "a.1", "b.1");

    assertThat(ticksUntilRemoved(100)).isEqualTo(40);
  }

  @Test
  void aMemberTheLeaderListsIsNotRemovedAndTheCountStartsAgain() {
    leaderAnnounces("a.1", 4, "g", "a.1", "b.1");
    assertThat(ticksUntilRemoved(30)).isEqualTo(-1);

    leaderAnnounces("a.1", 4, "g", "a.1", member.endpoint);
    assertThat(watch.removedFromGroup(NOW)).isFalse();

    leaderAnnounces("a.1", 4, "g", "a.1", "b.1");
    assertThat(ticksUntilRemoved(39)).isEqualTo(-1);
    assertThat(watch.removedFromGroup(NOW)).isTrue();
  }

  @Test
  void onlyTheLatestLeaderOfItsOwnGroupCounts() {
    leaderAnnounces("a.1", 4, "g", "a.1");
    leaderAnnounces("b.1", 5, "g", "b.1", member.endpoint);
    leaderAnnounces("c.1", 9, "other", "c.1");

    assertThat(ticksUntilRemoved(100)).isEqualTo(-1);
  }

  @Test
  void withoutALeaderNothingIsConcluded() {
    assertThat(ticksUntilRemoved(100)).isEqualTo(-1);
  }
}
