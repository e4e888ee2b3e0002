package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
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
    onNewContext(context -> {
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
    });
  }

  @Test
  void messagesTheOpenWindowTakesNextDoNotCountAgainstTheQueueLimit() throws Exception {
    onNewContext(context -> {
      RecordingWire wire = new RecordingWire(context);
      BrokerStats stats = new BrokerStats();
      BrokerSession limited = new BrokerSession("c", 5, stats);
      List<Future<Void>> taken = new ArrayList<>();
      // a burst offered before the connection's context writes any of it
      on(context, () -> {
        limited.connecting(0);
        limited.attach(wire, 3);
        for (int i = 0; i < 9; i++) taken.add(limited.offer(outgoing("m" + i, 1)));
      });

      assertThat(wire.sent).containsExactly("publish m0 #1", "publish m1 #2", "publish m2 #3");
      assertThat(taken.subList(0, 8)).as("within the window and the queue limit").allMatch(Future::succeeded);
      assertThat(taken.get(8).isComplete()).as("the ninth waits in the queue, its publisher held").isFalse();
      assertThat(limited.queued()).isEqualTo(6);
      assertThat(stats.messagesDropped()).isZero();
      for (int id = 1; id <= 8; id++) {
        int packetId = id;
        on(context, () -> limited.acknowledged(packetId));
      }
      assertThat(wire.sent).hasSize(9).endsWith("publish m8 #9");
      assertThat(taken.get(8).succeeded()).isTrue();
    });
  }

  @Test
  void aConnectedClientThatLagsHoldsItsQos1PublishersBackInsteadOfLosingTheirMessages() throws Exception {
    onNewContext(context -> {
      RecordingWire wire = new RecordingWire(context);
      BrokerStats stats = new BrokerStats();
      BrokerSession slow = new BrokerSession("c", 5, stats);
      List<Future<Void>> taken = new ArrayList<>();
      List<Future<Void>> qos0 = new ArrayList<>();
      on(context, () -> {
        slow.connecting(0);
        slow.attach(wire, 1);
        for (int i = 0; i < 12; i++) taken.add(slow.offer(outgoing("m" + i, 1)));
        qos0.add(slow.offer(outgoing("z", 0)));
      });

      // one in flight and five waiting are taken; five more wait with their publishers held; the
      // queue never holds more than twice its limit: the twelfth is dropped
      assertThat(taken.subList(0, 6)).allMatch(Future::succeeded);
      assertThat(taken.subList(6, 11)).noneMatch(Future::isComplete);
      assertThat(taken.get(11).succeeded()).isTrue();
      assertThat(qos0.get(0).succeeded()).as("QoS 0 is never held").isTrue();
      assertThat(stats.messagesDropped()).as("the twelfth, and the QoS 0 message").isEqualTo(2);
      assertThat(stats.publicationsHeld()).isEqualTo(5);
      assertThat(slow.heldCount()).isEqualTo(5);

      // each acknowledgement lets one more through; the held publishers go once fewer than five wait
      for (int id = 1; id <= 5; id++) {
        int packetId = id;
        on(context, () -> slow.acknowledged(packetId));
      }
      assertThat(slow.queued()).isEqualTo(5);
      assertThat(taken.subList(6, 11)).noneMatch(Future::isComplete);
      on(context, () -> slow.acknowledged(6));
      assertThat(slow.queued()).isEqualTo(4);
      assertThat(taken.subList(6, 11)).allMatch(Future::succeeded);
      assertThat(slow.heldCount()).isZero();
      assertThat(wire.sent).hasSize(7).endsWith("publish m6 #7");
    });
  }

  @Test
  void heldPublishersAreLetGoAfterAWhileOrWhenTheClientLeavesAndTheirMessagesStay() throws Exception {
    onNewContext(context -> {
      RecordingWire wire = new RecordingWire(context);
      BrokerSession slow = new BrokerSession("c", 2, new BrokerStats());
      List<Future<Void>> taken = new ArrayList<>();
      on(context, () -> {
        slow.connecting(300);
        slow.attach(wire, 1);
        for (int i = 0; i < 4; i++) taken.add(slow.offer(outgoing("m" + i, 1)));
      });
      assertThat(taken.get(3).isComplete()).isFalse();

      long now = System.currentTimeMillis();
      slow.releaseHeld(now - 60_000);
      assertThat(taken.get(3).isComplete()).as("held for less than the bound").isFalse();
      slow.releaseHeld(now + 1);
      assertThat(taken.get(3).succeeded()).isTrue();
      assertThat(slow.queued()).as("what it sent stays queued").isEqualTo(3);

      on(context, () -> taken.add(slow.offer(outgoing("m4", 1))));
      assertThat(taken.get(4).isComplete()).isFalse();
      slow.detach(wire, now);
      assertThat(taken.get(4).succeeded()).as("the client left").isTrue();
      assertThat(slow.queued()).isEqualTo(4);
      assertThat(slow.stored().owed()).hasSize(4);
    });
  }

  @Test
  void aLongBacklogIsWrittenInTurnsThatLetTheEventLoopDoOtherWorkBetween() throws Exception {
    onNewContext(context -> {
      RecordingWire wire = new RecordingWire(context);
      BrokerSession away = new BrokerSession("c", 1_000, new BrokerStats());
      on(context, () -> {
        away.connecting(300);
        for (int i = 0; i < 600; i++) away.offer(outgoing("m" + i, 1));
      });
      int[] inFirstTurn = new int[1];
      List<String> otherWork = new ArrayList<>();
      on(context, () -> {
        away.attach(wire, 1_000);
        inFirstTurn[0] = wire.sent.size();
        context.runOnContext(v -> otherWork.add("after " + wire.sent.size()));
      });

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (wire.sent.size() < 600 && System.nanoTime() < deadline) on(context, () -> { });
      assertThat(inFirstTurn[0]).isEqualTo(256);
      // the first turn queued the second; a task queued after it runs before the third
      assertThat(otherWork).containsExactly("after 512");
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 600; i++) expected.add("publish m" + i + " #" + (i + 1));
      assertThat(wire.sent).containsExactlyElementsOf(expected);
    });
  }

  private static BrokerSession.Outgoing outgoing(String text, int qos) {
    Publication p = new Publication("t", Buffer.buffer(text), qos, false, MqttProperties.NO_PROPERTIES, 0, "pub");
    return new BrokerSession.Outgoing(p, qos, false, List.of());
  }

  private interface OnContext {
    void run(Context context) throws Exception;
  }

  /** Runs {@code test} with a context of a Vert.x instance of its own, closed afterwards. */
  private static void onNewContext(OnContext test) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      test.run(vertx.getOrCreateContext());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
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
