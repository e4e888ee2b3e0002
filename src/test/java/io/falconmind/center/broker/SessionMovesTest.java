package io.falconmind.center.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SessionMovesTest {

  private static final String CLIENT = "roamer";
  private static final String OLD = "node-a";

  private Vertx vertx;
  /** What went into the session, as origin:number. */
  private final List<String> in = new ArrayList<>();
  /** Fences asked for, as origin:old:filters. */
  private final List<String> asked = new ArrayList<>();
  private SessionMoves moves;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    moves = new SessionMoves(vertx, 60_000, (clientId, out) -> {
      Publication p = out.publication();
      in.add(p.origin() + ":" + p.seq());
      return Future.succeededFuture();
    }, (origin, clientId, old, filters) -> asked.add(origin + ":" + old + ":" + filters));
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  private static BrokerSession.Outgoing message(String origin, long seq) {
    Publication p = new Publication("t/" + seq, Buffer.buffer("x"), 1, false, MqttProperties.NO_PROPERTIES, 0, "pub")
        .routedFrom(origin, seq);
    return new BrokerSession.Outgoing(p, 1, false, List.of());
  }

  @Test
  void aSessionThatDidNotMoveIsLeftToTheCaller() {
    assertThat(moves.offer(CLIENT, message("p", 1), false)).isNull();
    assertThat(in).isEmpty();
  }

  @Test
  void whatComesThroughTheOldNodeGoesInAtOnceAndOnlyOnce() {
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(), Map.of());
    assertThat(moves.offer(CLIENT, message("p", 1), true).succeeded()).isTrue();
    assertThat(moves.offer(CLIENT, message("p", 1), true).succeeded()).isTrue();
    assertThat(moves.offer(CLIENT, message("p", 2), true).succeeded()).isTrue();
    assertThat(in).containsExactly("p:1", "p:2");
    assertThat(asked).isEmpty();
  }

  @Test
  void whatComesStraightWaitsForTheFenceAndThenFollowsWhatCameTheOldWay() {
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(), Map.of());
    Future<Void> s3 = moves.offer(CLIENT, message("p", 3), false);
    Future<Void> s4 = moves.offer(CLIENT, message("p", 4), false);
    assertThat(asked).containsExactly("p:" + OLD + ":[t/#]");
    assertThat(s3.isComplete()).isFalse();
    assertThat(in).isEmpty();

    // sent both ways before the fence: 3 came through the old node first; 2 only that way
    moves.offer(CLIENT, message("p", 2), true);
    moves.offer(CLIENT, message("p", 3), true);
    assertThat(in).containsExactly("p:2", "p:3");

    moves.fenced(CLIENT, "p", 3);
    assertThat(in).containsExactly("p:2", "p:3", "p:4");
    assertThat(s3.succeeded()).isTrue();
    assertThat(s4.succeeded()).isTrue();
    assertThat(asked).hasSize(1);
  }

  @Test
  void afterTheFenceACopyFromTheOldNodeIsLeftOutAndStraightOnesGoIn() {
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(), Map.of());
    moves.offer(CLIENT, message("p", 5), false);
    moves.fenced(CLIENT, "p", 4);
    moves.offer(CLIENT, message("p", 6), false);
    // copies of 5 and 6 passed on by the old node after the fence
    assertThat(moves.offer(CLIENT, message("p", 5), true).succeeded()).isTrue();
    assertThat(moves.offer(CLIENT, message("p", 6), true).succeeded()).isTrue();
    assertThat(in).containsExactly("p:5", "p:6");
  }

  @Test
  void afterTheFenceWhatTheFencedFiltersDoNotTakeStillComesThroughTheOldNode() {
    moves.begin(CLIENT, OLD, List.of("other/#"), List.of(), Map.of());
    moves.offer(CLIENT, message("p", 1), false);
    moves.fenced(CLIENT, "p", 1);
    // a shared subscription's message, sent one way only
    moves.offer(CLIENT, message("p", 2), true);
    assertThat(in).containsExactly("p:1", "p:2");
  }

  @Test
  void whatTheSessionBroughtAlongIsNotTakenInAgain() {
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(message("p", 7)), Map.of());
    moves.offer(CLIENT, message("p", 7), true);
    moves.offer(CLIENT, message("p", 7), false);
    moves.offer(CLIENT, message("p", 8), false);
    moves.fenced(CLIENT, "p", 8);
    assertThat(in).containsExactly("p:8");
  }

  @Test
  void whatTheSessionTookInBeforeItMovedIsNotTakenInAgain() {
    // the client had p:3 and p:4 on the old node and acknowledged them; copies of them waited here
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(), Map.of("p", new long[] {3, 4}));
    moves.offer(CLIENT, message("p", 3), false);
    moves.offer(CLIENT, message("p", 4), false);
    moves.offer(CLIENT, message("p", 5), false);
    moves.offer(CLIENT, message("p", 4), true);
    moves.fenced(CLIENT, "p", 5);
    assertThat(in).containsExactly("p:5");
  }

  @Test
  void eachOriginIsFencedOnItsOwn() {
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(), Map.of());
    moves.offer(CLIENT, message("p", 1), false);
    moves.offer(CLIENT, message("q", 1), false);
    moves.fenced(CLIENT, "q", 0);
    assertThat(in).containsExactly("q:1");
    moves.fenced(CLIENT, "p", 0);
    assertThat(in).containsExactly("q:1", "p:1");
    assertThat(asked).containsExactly("p:" + OLD + ":[t/#]", "q:" + OLD + ":[t/#]");
  }

  @Test
  void aSessionLeavingTakesWhatWaitedForAFenceAlongAndIsNoLongerWatched() {
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(), Map.of());
    Future<Void> held = moves.offer(CLIENT, message("p", 1), false);
    moves.end(CLIENT);
    assertThat(held.succeeded()).isTrue();
    assertThat(in).containsExactly("p:1");
    assertThat(moves.offer(CLIENT, message("p", 2), false)).isNull();
    assertThat(moves.size()).isZero();
  }

  @Test
  void aPublicationFromNoNodeInParticularIsLeftToTheCaller() {
    moves.begin(CLIENT, OLD, List.of("t/#"), List.of(), Map.of());
    var local = new BrokerSession.Outgoing(
        new Publication("$SYS/x", Buffer.buffer("1"), 0, false, MqttProperties.NO_PROPERTIES, 0, null), 0, false, List.of());
    assertThat(moves.offer(CLIENT, local, false)).isNull();
  }
}
