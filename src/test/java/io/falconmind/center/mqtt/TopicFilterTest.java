package io.falconmind.center.mqtt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
  })
  void matchesLikeTheSpecification(String filter, String topic, boolean expected) {
    assertThat(TopicFilter.matches(filter, topic)).isEqualTo(expected);
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
