package io.falconmind.center.broker;

import io.falconmind.center.app.CenterConfig;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client's delayed will when another node takes its session over while the connection it left
 * is still closing here: the takeover can look for the will before the closing connection leaves it.
 */
class BrokerWillTest {

  private Vertx vertx;
  private Context context;
  private Broker broker;
  private RecordingWire watcher;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    CenterConfig.Broker config = new CenterConfig.Broker(true, List.of(), List.of(), 100, 10, 100, 0, 1 << 20,
        3600, 0, 10, SubscriptionTree.SharedStrategy.ROUND_ROBIN, 0);
    broker = new Broker(vertx, config, new BrokerAccess(true, List.of(), List.of()));
    watcher = new RecordingWire(context);
    on(() -> {
      broker.start();
      BrokerSession session = broker.open("watcher", true, 0).session();
      session.attach(watcher, 10);
      broker.subscribe(session, new Subscription("late/#", null, 1, false, false, 0, 0));
    });
  }

  @AfterEach
  void tearDown() throws Exception {
    on(broker::stop);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aDelayedWillLeftAfterTheSessionMovedToAnotherNodeIsNotPublished() throws Exception {
    Connection mover = connect("mover");
    on(() -> {
      // the connection is on its way out: no longer the client's live one, its will not yet left
      broker.released("mover", mover);
      broker.handOver("mover", false, "node-b").onSuccess(state -> assertThat(state).isNotNull());
      broker.closed(mover.session, mover, will(), 2);
    });

    assertThat(broker.willPending("mover")).as("a will waiting out its delay").isFalse();
    assertThat(broker.sessionCount()).as("sessions here besides the watcher's").isEqualTo(1);
    assertThat(watcher.sent).isEmpty();
  }

  @Test
  void aDelayedWillLeftAfterAnotherNodeEndedTheSessionForACleanStartIsPublishedAtOnce() throws Exception {
    Connection mover = connect("mover");
    on(() -> {
      broker.released("mover", mover);
      broker.handOver("mover", true, "node-b").onSuccess(state -> assertThat(state).isNull());
      broker.closed(mover.session, mover, will(), 2);
    });

    assertThat(broker.willPending("mover")).isFalse();
    assertThat(watcher.sent).containsExactly("publish gone #1");
  }

  @Test
  void aDelayedWillLeftBeforeTheSessionMovedIsCancelledByTheMove() throws Exception {
    Connection mover = connect("mover");
    on(() -> {
      broker.released("mover", mover);
      broker.closed(mover.session, mover, will(), 2);
    });
    assertThat(broker.willPending("mover")).isTrue();

    on(() -> broker.handOver("mover", false, "node-b"));

    assertThat(broker.willPending("mover")).isFalse();
    assertThat(watcher.sent).isEmpty();
  }

  private Connection connect(String clientId) throws Exception {
    Connection c = new Connection(context);
    on(() -> {
      broker.takeOver(clientId, c, false);
      c.session = broker.open(clientId, false, 60).session();
      c.session.attach(c, 10);
    });
    return c;
  }

  private static Publication will() {
    return new Publication("late/will", Buffer.buffer("gone"), 1, false, MqttProperties.NO_PROPERTIES, 0, "mover");
  }

  /** Runs {@code step} on the context, then waits until what it scheduled there has run too. */
  private void on(Runnable step) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        step.run();
      } catch (Throwable t) {
        done.completeExceptionally(t);
        return;
      }
      context.runOnContext(w -> done.complete(null));
    });
    done.get(10, TimeUnit.SECONDS);
  }

  /** A live connection of a client, as the broker takes it over. */
  private static final class Connection extends RecordingWire implements LiveConnections.Live {
    BrokerSession session;

    Connection(Context context) {
      super(context);
    }

    @Override
    public Future<Void> takeOver() {
      return Future.succeededFuture();
    }
  }
}
