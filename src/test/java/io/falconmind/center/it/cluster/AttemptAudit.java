package io.falconmind.center.it.cluster;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows the mission events of one node's feed, in seq order, and checks the center's own record
 * of who holds what: an attempt is opened only when none is open and with the next number, every
 * status and end names the open attempt, and a mission ends (SUCCEEDED, FAILED, CANCELED, EXPIRED)
 * exactly once and stays ended. Not thread-safe: one feed calls it in order.
 */
final class AttemptAudit {

  private static final class Track {
    int open;
    String openDevice;
    int last;
    String terminal;
    long terminalSeq;
  }

  private final String node;
  private final Map<String, Track> missions = new HashMap<>();
  private final List<String> violations = new ArrayList<>();

  AttemptAudit(String node) {
    this.node = node;
  }

  void accept(long seq, String type, JsonObject mission, JsonObject detail) {
    if (!type.startsWith("mission.") || mission == null) return;
    String id = mission.getString("id");
    int attempt = mission.getInteger("attempt", 0);
    String device = mission.getString("deviceId");
    Track t = missions.get(id);
    if (type.equals("mission.submitted")) {
      if (t != null) violation(seq, id, "submitted a second time");
      missions.put(id, new Track());
      return;
    }
    if (t == null) {
      violation(seq, id, type + " for a mission never submitted on this feed");
      t = new Track();
      missions.put(id, t);
    }
    if (t.terminal != null) {
      violation(seq, id, type + " after it ended " + t.terminal + " at seq " + t.terminalSeq);
      return;
    }
    switch (type) {
      case "mission.assigned" -> {
        if (t.open != 0) {
          violation(seq, id, "attempt " + attempt + " assigned to " + device + " while attempt " + t.open
              + " is open on " + t.openDevice);
        } else if (attempt != t.last + 1) {
          violation(seq, id, "attempt " + attempt + " assigned after attempt " + t.last);
        }
        t.open = attempt;
        t.openDevice = device;
        t.last = Math.max(t.last, attempt);
      }
      case "mission.accepted", "mission.running", "mission.progress" -> {
        if (t.open != attempt) violation(seq, id, type + " of attempt " + attempt + " while attempt " + t.open + " is open");
      }
      case "mission.retrying" -> closeAttempt(seq, id, t, detail == null ? attempt : detail.getInteger("attempt", attempt), type);
      case "mission.succeeded" -> {
        closeAttempt(seq, id, t, attempt, type);
        end(seq, t, "SUCCEEDED");
      }
      case "mission.failed" -> {
        if (t.open != 0) closeAttempt(seq, id, t, detail == null ? attempt : detail.getInteger("attempt", attempt), type);
        end(seq, t, "FAILED");
      }
      case "mission.canceled" -> {
        t.open = 0;
        end(seq, t, "CANCELED");
      }
      case "mission.expired" -> {
        if (t.open != 0) violation(seq, id, "expired while attempt " + t.open + " is open");
        t.open = 0;
        end(seq, t, "EXPIRED");
      }
      default -> {
        // other mission events carry nothing to check here
      }
    }
  }

  private void closeAttempt(long seq, String id, Track t, int attempt, String type) {
    if (t.open == 0 || t.open != attempt) {
      violation(seq, id, type + " ends attempt " + attempt + " but the open attempt is " + t.open);
    }
    t.open = 0;
    t.openDevice = null;
  }

  private static void end(long seq, Track t, String state) {
    t.terminal = state;
    t.terminalSeq = seq;
  }

  private void violation(long seq, String id, String what) {
    if (violations.size() < 200) violations.add(node + " seq " + seq + " mission " + id + ": " + what);
  }

  List<String> violations() {
    return List.copyOf(violations);
  }

  /** The terminal state this feed showed for a mission, or null. */
  String terminal(String missionId) {
    Track t = missions.get(missionId);
    return t == null ? null : t.terminal;
  }

  /** The seq of the event that ended a mission on this feed, or -1. */
  long terminalSeq(String missionId) {
    Track t = missions.get(missionId);
    return t == null || t.terminal == null ? -1 : t.terminalSeq;
  }

  int missionCount() {
    return missions.size();
  }
}
