package io.falconmind.center.broker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When a session has outlived its client. */
class BrokerSessionTest {

  private final BrokerSession session = new BrokerSession("c", 10, new BrokerStats());

  @Test
  void aSessionJustOpenedNeverExpiresBeforeItsClientHasBeenAway() {
    session.connecting(0);

    // between open and attach the periodic sweep may look: ending the session then would leave the
    // connection attached to a session no delivery can find
    assertThat(session.expired(System.currentTimeMillis())).isFalse();
    assertThat(session.expired(Long.MAX_VALUE / 2)).isFalse();
  }

  @Test
  void aSessionItsClientIsConnectingToDoesNotExpireBeforeItLeavesAgain() {
    session.away(10, 1_000_000);

    session.connecting(5);

    assertThat(session.expired(1_000_000 + 60_000)).isFalse();
    assertThat(session.expirySec()).isEqualTo(5);
  }

  @Test
  void anAbsentSessionExpiresAfterItsIntervalAway() {
    long leftAt = 1_000_000;
    session.away(10, leftAt);

    assertThat(session.expired(leftAt + 9_999)).isFalse();
    assertThat(session.expired(leftAt + 10_000)).isTrue();
  }

  @Test
  void aSessionWithoutExpiryEndsAsSoonAsItsClientIsAway() {
    session.away(0, 1_000_000);

    assertThat(session.expired(1_000_000)).isTrue();
  }
}
