package io.falconmind.center.raft;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How a joining node decides which group it takes part in, and how a new group is made up. */
class GroupFormationTest {

  private static final long NOW = 1_000_000_000_000L;
  private long wallClock = 50_000;
  private final Presence presence = new Presence(3_000);
  private final GroupFormation formation = new GroupFormation(
      new Clustering(true, 3, 1, 4, 6, 10, new JsonObject()), presence, () -> wallClock);

  private void hear(String endpoint, String member, String group) {
    JsonObject info = new JsonObject().put("endpoint", endpoint).put("nodeId", endpoint.split("\\.")[0]).put("member", member);
    if (group != null) info.put("group", group);
    presence.heard(info, NOW);
  }

  private static JsonObject record(String id, long formedAt, String... voters) {
    return new JsonObject().put("id", id).put("voters", new JsonArray(List.of(voters)))
        .put("learners", new JsonArray()).put("formedAt", formedAt);
  }

  @Test
  void aNewGroupTakesItsVotersThenItsLearnersInEndpointOrder() {
    hear("d.1", "joining", null);
    hear("b.1", "joining", null);
    hear("e.1", "joining", null);
    hear("a.1", "joining", null);
    hear("c.1", "joining", null);

    JsonObject formed = formation.form(presence.alive(NOW));

    assertThat(formed.getJsonArray("voters")).containsExactly("a.1", "b.1", "c.1");
    assertThat(formed.getJsonArray("learners")).containsExactly("d.1");
    assertThat(formed.getLong("formedAt")).isEqualTo(wallClock);
    assertThat(formed.getString("id")).isNotBlank();
  }

  @Test
  void noGroupFormsUntilEnoughNodesAreJoining() {
    hear("a.1", "joining", null);
    hear("b.1", "joining", null);
    hear("c.1", "joining", null);
    hear("g.1", "gateway", "old");

    assertThat(formation.form(presence.alive(NOW))).isNull();
  }

  @Test
  void aGroupIsAliveWhileAVoterOrLearnerOfItIsHeard() {
    JsonObject g = record("g", 0, "a.1", "b.1", "c.1");
    hear("x.1", "gateway", "g");
    assertThat(formation.alive(g, NOW)).isFalse();

    hear("b.1", "learner", "g");
    assertThat(formation.alive(g, NOW)).isTrue();
    assertThat(formation.alive(g, NOW + 10_000_000_000L)).isFalse();
  }

  @Test
  void aGroupJustFormedIsAliveBeforeItsMembersAreHeard() {
    JsonObject g = record("g", wallClock - GroupFormation.FORMING_MS + 1, "a.1");

    assertThat(formation.alive(g, NOW)).isTrue();
    wallClock += 1;
    assertThat(formation.alive(g, NOW)).isFalse();
  }

  @Test
  void theLiveGroupIsOneAnotherMemberReports() {
    hear("a.1", "voter", "mine");
    assertThat(formation.liveGroup("a.1", NOW)).isNull();

    hear("g.1", "gateway", "g");
    hear("j.1", "joining", null);
    assertThat(formation.liveGroup("a.1", NOW)).isNull();

    hear("b.1", "voter", "g");
    assertThat(formation.liveGroup("a.1", NOW)).isEqualTo("g");
  }

  @Test
  void aNodeIsListedAsAVoterOrALearner() {
    JsonObject g = record("g", 0, "a.1").put("learners", new JsonArray().add("l.1"));

    assertThat(GroupFormation.listed(g, "a.1")).isTrue();
    assertThat(GroupFormation.listed(g, "l.1")).isTrue();
    assertThat(GroupFormation.listed(g, "a.2")).isFalse();
    assertThat(GroupFormation.listed(new JsonObject().put("id", "g"), "a.1")).isFalse();
  }
}
