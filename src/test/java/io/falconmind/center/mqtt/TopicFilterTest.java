package io.falconmind.center.mqtt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TopicFilterTest {

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
      "devices/d1/missions/assign, devices/d1/missions/assign, true",
      "devices/d1/missions/assign, devices/d1/missions/assignx, false",
      "devices/d1/#, devices/d1/missions/m1/cancel, true",
      "devices/d1/#, devices/d1, true",
      "devices/d1/#, devices/d2/errors, false",
      "devices/+/errors, devices/d1/errors, true",
      "devices/+/errors, devices/d1/x/errors, false",
      "devices/d1/missions/+/cancel, devices/d1/missions/m-7/cancel, true",
      "devices/d1/missions/+/cancel, devices/d1/missions/assign, false",
      "#, devices/d1/errors, true",
      "#, $SYS/broker, false",
      "+/x, $SYS/x, false",
      "$SYS/#, $SYS/broker, true",
      "a/+, a/, true",
      "a/+/c, a//c, true",
      "+, a/b, false",
      "a/b, a/b/c, false",
      "a/b/c, a/b, false",
      "a/#, a/, true",
      "a/+, a, false",
      "+/+, /, true",
      "/+, /x, true",
      "+, '', true",
      "ab, a, false",
      "a, ab, false",
      "$SYS/+, $SYS/x, true",
      "a/+/#, a/b, true",
  })
  void matchesLikeTheSpecification(String filter, String topic, boolean expected) {
    assertThat(TopicFilter.matches(filter, topic)).isEqualTo(expected);
  }

  /**
   * Every filter and topic of up to four levels over a small alphabet, against the definition:
   * split both into levels and compare them one by one.
   */
  @Test
  void agreesWithTheLevelByLevelDefinitionEverywhere() {
    List<String> topics = TopicStrings.everyJoin(List.of("", "a", "b", "ab", "$x"), 4);
    List<String> filters = TopicStrings.everyJoin(List.of("", "a", "ab", "+", "#", "$x"), 4).stream()
        .filter(TopicFilter::isValidFilter).toList();
    int checked = 0;
    for (String f : filters) {
      for (String t : topics) {
        assertThat(TopicFilter.matches(f, t)).as("%s matches %s", f, t).isEqualTo(byLevels(f, t));
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(100_000);
  }

  private static boolean byLevels(String filter, String topic) {
    if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) return true;
      if (i >= t.length || !f[i].equals("+") && !f[i].equals(t[i])) return false;
    }
    return f.length == t.length;
  }

  @Test
  void acceptsValidFilters() {
    assertThat(TopicFilter.isValidFilter("devices/d1/#")).isTrue();
    assertThat(TopicFilter.isValidFilter("#")).isTrue();
    assertThat(TopicFilter.isValidFilter("+/+/+")).isTrue();
    assertThat(TopicFilter.isValidFilter("a//b")).isTrue();
  }

  @Test
  void refusesMisplacedWildcards() {
    assertThat(TopicFilter.isValidFilter("")).isFalse();
    assertThat(TopicFilter.isValidFilter("a/#/b")).isFalse();
    assertThat(TopicFilter.isValidFilter("a/b#")).isFalse();
    assertThat(TopicFilter.isValidFilter("a/b+/c")).isFalse();
    assertThat(TopicFilter.isValidFilter("a/\0")).isFalse();
  }

  @Test
  void topicNamesCarryNoWildcards() {
    assertThat(TopicFilter.isValidTopicName("devices/d1/profile")).isTrue();
    assertThat(TopicFilter.isValidTopicName("devices/+/profile")).isFalse();
    assertThat(TopicFilter.isValidTopicName("devices/#")).isFalse();
    assertThat(TopicFilter.isValidTopicName("")).isFalse();
    assertThat(TopicFilter.isValidTopicName(null)).isFalse();
  }
}
