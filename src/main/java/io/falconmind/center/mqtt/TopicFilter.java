package io.falconmind.center.mqtt;

/**
 * MQTT topic names and topic filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7): validation and matching with
 * the single-level wildcard {@code +} and the multi-level wildcard {@code #}. Pure and thread-safe.
 *
 * <p>Levels are separated by {@code /}; empty levels are levels too ({@code a//b} has three). A
 * filter that starts with a wildcard does not match a topic that starts with {@code $}.
 */
public final class TopicFilter {

  /** Longest topic name or filter in UTF-8 bytes the protocol can carry. */
  public static final int MAX_LENGTH = 65535;

  private TopicFilter() {
  }

  /**
   * A topic name a PUBLISH may carry: not empty, no wildcard, no NUL, at most 65535 bytes, and no
   * U+FFFD, which is what the decoder makes of ill-formed UTF-8 (MQTT requires well-formed UTF-8).
   */
  public static boolean isValidTopicName(String topic) {
    if (topic == null || topic.isEmpty() || tooLong(topic)) return false;
    for (int i = 0; i < topic.length(); i++) {
      char c = topic.charAt(i);
      if (c == '+' || c == '#' || c == '\0' || c == '\uFFFD') return false;
    }
    return true;
  }

  /**
   * A filter a SUBSCRIBE may carry: not empty, no NUL, {@code +} only as a whole level, {@code #}
   * only as the whole last level.
   */
  public static boolean isValidFilter(String filter) {
    if (filter == null || filter.isEmpty() || tooLong(filter)) return false;
    String[] levels = filter.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String level = levels[i];
      if (level.indexOf('\0') >= 0 || level.indexOf('\uFFFD') >= 0) return false;
      if (level.equals("#")) {
        if (i != levels.length - 1) return false;
      } else if (!level.equals("+") && (level.indexOf('#') >= 0 || level.indexOf('+') >= 0)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a topic name matches a (valid) filter. Walks both strings level by level without
   * splitting them: it runs for every publication (access rules, retained messages).
   */
  public static boolean matches(String filter, String topic) {
    if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
    int f = 0; // start of the filter's current level
    int t = 0; // start of the topic's current level; past its end once the topic has no more levels
    while (true) {
      int fEnd = levelEnd(filter, f);
      int fLength = fEnd - f;
      if (fLength == 1 && filter.charAt(f) == '#') return true; // the rest, the parent level included
      if (t > topic.length()) return false;
      int tEnd = levelEnd(topic, t);
      boolean plus = fLength == 1 && filter.charAt(f) == '+';
      if (!plus && (tEnd - t != fLength || !filter.regionMatches(f, topic, t, fLength))) return false;
      if (fEnd == filter.length()) return tEnd == topic.length();
      f = fEnd + 1;
      t = tEnd + 1;
    }
  }

  /** Where the level starting at {@code start} ends: the next {@code /}, or the end of {@code s}. */
  private static int levelEnd(String s, int start) {
    int slash = s.indexOf('/', start);
    return slash < 0 ? s.length() : slash;
  }

  private static boolean tooLong(String s) {
    return s.length() > MAX_LENGTH || (s.length() * 3 > MAX_LENGTH
        && s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_LENGTH);
  }
}
