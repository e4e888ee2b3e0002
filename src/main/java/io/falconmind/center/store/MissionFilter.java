package io.falconmind.center.store;

import java.util.List;

/**
 * A page request over missions, newest first.
 *
 * @param states   empty = any state
 * @param type     null = any type
 * @param deviceId null = any device (matches the device of the current or last attempt)
 * @param after    opaque cursor from the previous page's {@link MissionPage#next()}, or null
 */
public record MissionFilter(List<String> states, String type, String deviceId, int limit, String after) {
  public MissionFilter {
    states = states == null ? List.of() : List.copyOf(states);
  }
}
