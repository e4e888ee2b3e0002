package io.falconmind.center.it.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * One node's answer to {@code GET /api/v1/cluster}: who it is, which leader it follows, and the
 * members it has heard from. An endpoint is {@code <nodeId>.<incarnation>}; a restarted node has a
 * new one.
 */
public record ClusterView(String self, String nodeId, long term, String leader, List<String> voters,
                          List<String> learners, List<Member> members) {

  /** A member as the answering node sees it. */
  public record Member(String nodeId, String endpoint, String member, String role, long term, String leader,
                       long commitIndex, long appliedIndex, long persistedIndex, long seq, long persistedSeq,
                       long leaderChanges) {

    static Member from(JsonObject json) {
      return new Member(json.getString("nodeId"), json.getString("endpoint"), json.getString("member"),
          json.getString("role"), json.getLong("term", -1L), json.getString("leader"),
          json.getLong("commitIndex", -1L), json.getLong("appliedIndex", -1L), json.getLong("persistedIndex", -1L),
          json.getLong("seq", -1L), json.getLong("persistedSeq", -1L), json.getLong("leaderChanges", -1L));
    }
  }

  public static ClusterView from(JsonObject json) {
    List<Member> members = new ArrayList<>();
    JsonArray array = json.getJsonArray("members", new JsonArray());
    for (int i = 0; i < array.size(); i++) members.add(Member.from(array.getJsonObject(i)));
    return new ClusterView(json.getString("self"), json.getString("nodeId"), json.getLong("term", -1L),
        json.getString("leader"), strings(json.getJsonArray("voters")), strings(json.getJsonArray("learners")),
        members);
  }

  /** The node id of an endpoint id {@code <nodeId>.<incarnation>}. */
  public static String nodeOf(String endpoint) {
    if (endpoint == null) return null;
    int dot = endpoint.lastIndexOf('.');
    return dot < 0 ? endpoint : endpoint.substring(0, dot);
  }

  /** The node id of the leader this node follows, or null without contact. */
  public String leaderNode() {
    return nodeOf(leader);
  }

  /** This node's own entry in {@code members}, or null when it does not list itself. */
  public Member selfMember() {
    return member(nodeId);
  }

  public Member member(String node) {
    for (Member m : members) {
      if (node.equals(m.nodeId())) return m;
    }
    return null;
  }

  /** Node ids listed with the given {@code member} kind (voter, learner, gateway, joining). */
  public List<String> nodesOfKind(String kind) {
    return members.stream().filter(m -> kind.equals(m.member())).map(Member::nodeId).toList();
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    if (array != null) for (Object o : array) out.add(String.valueOf(o));
    return out;
  }
}
