package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** When a session has outlived its client, and what it takes along when it moves to another node. */
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

  @Test
  void aSessionThatMovesTakesItsUnacknowledgedMessagesAlongWithTheirPacketIds() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Context context = vertx.getOrCreateContext();
      RecordingWire before = new RecordingWire(context);
      BrokerSession old = new BrokerSession("c", 10, new BrokerStats());
      on(context, () -> {
        old.connecting(300);
        old.attach(before, 3);
        old.offer(outgoing("a", 1));
        old.offer(outgoing("b", 2));
        old.offer(outgoing("c", 2));
        old.offer(outgoing("d", 1));
      });
      assertThat(before.sent).containsExactly("publish a #1", "publish b #2", "publish c #3");
      // the client has "c" (PUBREC) and had sent a QoS 2 publication of its own, awaiting its PUBREL
      assertThat(old.received(3)).isTrue();
      assertThat(old.receivedQos2(9)).isTrue();

      SessionState state = SessionCodec.decode(SessionCodec.encode(old.moveAway()));
      assertThat(old.stored()).as("what the old node would store of it now").isNull();
      BrokerSession moved = new BrokerSession("c", 10, new BrokerStats());
      RecordingWire after = new RecordingWire(context);
      on(context, () -> {
        moved.restore(state);
        state.owed().forEach(moved::offer);
        moved.connecting(300);
        moved.attach(after, 3);
      });

      assertThat(after.sent).containsExactly("publish a #1 again", "publish b #2 again", "release #3");
      assertThat(moved.receivedQos2(9)).as("the client's PUBLISH sent again is known").isFalse();
      on(context, () -> moved.acknowledged(1));
      assertThat(after.sent).endsWith("publish d #4");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void messagesTheOpenWindowTakesNextDoNotCountAgainstTheQueueLimit() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Context context = vertx.getOrCreateContext();
      RecordingWire wire = new RecordingWire(context);
      BrokerSession limited = new BrokerSession("c", 5, new BrokerStats());
      // a burst offered before the connection's context writes any of it
      on(context, () -> {
        limited.connecting(0);
        limited.attach(wire, 3);
        for (int i = 0; i < 9; i++) limited.offer(outgoing("m" + i, 1));
      });

      assertThat(wire.sent).containsExactly("publish m0 #1", "publish m1 #2", "publish m2 #3");
      assertThat(limited.queued()).as("waiting behind the window: the queue limit").isEqualTo(5);
      for (int id = 1; id <= 8; id++) {
        int packetId = id;
        on(context, () -> limited.acknowledged(packetId));
      }
      assertThat(wire.sent).hasSize(8).endsWith("publish m7 #8");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static BrokerSession.Outgoing outgoing(String text, int qos) {
    Publication p = new Publication("t", Buffer.buffer(text), qos, false, MqttProperties.NO_PROPERTIES, 0, "pub");
    return new BrokerSession.Outgoing(p, qos, false, List.of());
  }

  /** Runs {@code step} on {@code context}, then waits until what it scheduled there has run too. */
  private static void on(Context context, Runnable step) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      step.run();
      context.runOnContext(w -> done.complete(null));
    });
    done.get(10, TimeUnit.SECONDS);
  }
}
