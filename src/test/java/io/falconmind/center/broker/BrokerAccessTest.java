package io.falconmind.center.broker;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.falconmind.center.broker.BrokerAccess.Access.READ;
import static io.falconmind.center.broker.BrokerAccess.Access.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broker users and ACL rules. */
class BrokerAccessTest {

  private static final String HASH = BrokerAccess.hashPassword("pw");

  @Test
  void passwordsAreCheckedAgainstTheirHash() {
    BrokerAccess access = new BrokerAccess(false, List.of("alice:" + HASH), List.of());

    assertThat(access.isUser("alice")).isTrue();
    assertThat(access.isUser("bob")).isFalse();
    assertThat(access.passwordMatches("alice", "pw".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(access.passwordMatches("alice", "PW".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(access.passwordMatches("bob", "pw".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(BrokerAccess.hashPassword("pw")).isNotEqualTo(HASH);
  }

  @Test
  void malformedEntriesAreRefusedWithTheirText() {
    assertThatThrownBy(() -> new BrokerAccess(false, List.of("alice:plain"), List.of()))
        .hasMessageContaining("mqtt.users").hasMessageContaining("alice:plain");
    assertThatThrownBy(() -> new BrokerAccess(false, List.of(), List.of("user:alice readwrite")))
        .hasMessageContaining("mqtt.acl");
    assertThatThrownBy(() -> new BrokerAccess(false, List.of(), List.of("someone read a/#")))
        .hasMessageContaining("someone read a/#");
    assertThatThrownBy(() -> new BrokerAccess(false, List.of(), List.of("all publish a/#")))
        .hasMessageContaining("mqtt.acl");
    assertThatThrownBy(() -> new BrokerAccess(false, List.of(), List.of("all read a/#/b")))
        .hasMessageContaining("mqtt.acl");
  }

  @Test
  void clientIdAndUsernameAreSubstituted() {
    BrokerAccess access = new BrokerAccess(false, List.of(), List.of("all readwrite users/%u/#", "all write clients/%c"));

    assertThat(access.allows("c1", "alice", WRITE, "users/alice/x")).isTrue();
    assertThat(access.allows("c1", "alice", WRITE, "users/bob/x")).isFalse();
    assertThat(access.allows("c1", "alice", READ, "users/alice/#")).isTrue();
    assertThat(access.allows("c1", "alice", READ, "users/+/x")).isFalse();
    assertThat(access.allows("c1", "alice", WRITE, "clients/c1")).isTrue();
    assertThat(access.allows("c1", "alice", READ, "clients/c1")).isFalse();
  }

  @Test
  void theFirstRuleThatDecidesWins() {
    BrokerAccess access = new BrokerAccess(false, List.of(),
        List.of("user:bob deny secret/#", "all readwrite #", "anonymous deny #"));

    assertThat(access.allows("c", "bob", WRITE, "secret/x")).isFalse();
    assertThat(access.allows("c", "bob", READ, "#")).isFalse();
    assertThat(access.allows("c", "alice", WRITE, "secret/x")).isTrue();
    assertThat(access.allows("c", null, WRITE, "x")).isTrue();
  }

  @Test
  void readingAFilterNeedsEveryTopicItMatchesToBeReadable() {
    assertThat(BrokerAccess.covers("a/#", "a/+/c")).isTrue();
    assertThat(BrokerAccess.covers("a/#", "a")).isTrue();
    assertThat(BrokerAccess.covers("a/+", "a/#")).isFalse();
    assertThat(BrokerAccess.covers("a/+", "a/b")).isTrue();
    assertThat(BrokerAccess.covers("a/b", "a/+")).isFalse();
    assertThat(BrokerAccess.covers("#", "$SYS/x")).isFalse();
    assertThat(BrokerAccess.covers("$SYS/#", "$SYS/broker/+")).isTrue();
    assertThat(BrokerAccess.overlaps("devices/#", "#")).isTrue();
    assertThat(BrokerAccess.overlaps("devices/#", "sensors/+")).isFalse();
    assertThat(BrokerAccess.overlaps("$SYS/#", "#")).isFalse();
  }

  @Test
  void theDefaultsKeepDeviceTopicsAndSysWritesOut() {
    BrokerAccess access = new BrokerAccess(true, List.of(), List.of());

    assertThat(access.allows("c", null, WRITE, "sensors/t")).isTrue();
    assertThat(access.allows("c", null, READ, "sensors/#")).isTrue();
    assertThat(access.allows("c", null, WRITE, "devices/d1/missions/assign")).isFalse();
    assertThat(access.allows("c", null, READ, "devices/#")).isTrue();
    assertThat(access.allows("c", null, READ, "#")).isTrue();
    assertThat(access.allows("c", null, READ, "$SYS/#")).isTrue();
    assertThat(access.allows("c", null, WRITE, "$SYS/broker/x")).isFalse();
  }
}
