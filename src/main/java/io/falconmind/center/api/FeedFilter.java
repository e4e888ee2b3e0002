package io.falconmind.center.api;

import java.util.ArrayList;
import java.util.List;

/**
 * What one feed client asked for. {@code types} entries match an event type exactly, or by prefix
 * when they end in '.' ({@code mission.} matches every mission event). Without {@code types} every
 * persisted event matches; soft signals match only an explicit {@code types} entry, so clients that
 * did not ask for telemetry never get it. {@code missionId} and {@code deviceId} narrow further.
 * Immutable.
 */
public record FeedFilter(List<String> types, String missionId, String deviceId) {

  public FeedFilter {
    types = types == null ? List.of() : List.copyOf(types);
  }

  public static final FeedFilter ALL = new FeedFilter(List.of(), null, null);

  /** @param types comma-separated list, or null */
  public static FeedFilter parse(String types, String missionId, String deviceId) {
    List<String> list = new ArrayList<>();
    if (types != null) {
      for (String t : types.split(",")) if (!t.isBlank()) list.add(t.trim());
    }
    return new FeedFilter(list, missionId, deviceId);
  }

  public boolean matches(FeedEntry entry) {
    if (types.isEmpty()) {
      if (entry.soft()) return false;
    } else if (!typeMatches(entry.type())) {
      return false;
    }
    if (missionId != null && !missionId.equals(entry.missionId())) return false;
    return deviceId == null || deviceId.equals(entry.deviceId());
  }

  private boolean typeMatches(String type) {
    if (type == null) return false;
    for (String t : types) {
      if (t.endsWith(".") ? type.startsWith(t) : type.equals(t)) return true;
    }
    return false;
  }

  /** Whether any soft signal of this type could match (lets the hub skip work). */
  public boolean wantsSoft(String type) {
    return !types.isEmpty() && typeMatches(type);
  }
}
