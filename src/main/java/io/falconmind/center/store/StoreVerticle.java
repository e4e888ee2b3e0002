package io.falconmind.center.store;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.Applied;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.PersistedEvents;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.NodeStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The store of one node: persists what the control plane applies and serves reads of it.
 * <ul>
 *   <li>Consumes {@link ControlClient#APPLIED} (local) and writes it by {@link GroupCommit} through
 *       {@link BatchWriter} (encoding on worker threads); publishes {@link PersistedEvents} on
 *       {@link ControlClient#PERSISTED} (local) in log order once durable. Deploy it before the
 *       control plane starts applying, so it sees the applied stream from its start. Writes are
 *       idempotent, so a store on every node may write the same stream; each skips what another
 *       already persisted.</li>
 *   <li>Serves {@link StoreClient#QUERY}; a failure answers {@code fail(status, message)}: 400 for
 *       bad input, 503 when PostgreSQL is unreachable, 500 otherwise.</li>
 *   <li>Prunes events older than {@code store.eventRetentionHours}, every minute.</li>
 * </ul>
 * In a cluster only the Raft leader's store writes. Every other node holds what it applied until
 * the leader's store reports it durable on {@link #WATERMARK}, then publishes it as persisted; a
 * node that becomes leader first writes everything it still holds (the writes are idempotent, so
 * what the previous leader already wrote is skipped).
 *
 * <p>One instance per node. Everything runs on its event loop; the {@link Database} belongs to the
 * caller, who closes it after undeploying this verticle. Stopping waits (up to 10 s) for queued
 * entries to be written; what is left was never reported persisted.
 */
public final class StoreVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(StoreVerticle.class);
  private static final long PRUNE_EVERY_MS = 60_000;
  private static final int PRUNE_BATCH = 1_000;
  private static final long STOP_TIMEOUT_MS = 10_000;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  /** Clustered publish by the writing store: {@code index}, {@code seq} durable so far. */
  public static final String WATERMARK = "center.store.persisted";

  private final Database database;
  private final CenterConfig.Store config;
  private final CenterConfig.Missions missions;
  private final boolean clustered;
  private final LongSupplier clock;
  private final ArrayDeque<Applied> held = new ArrayDeque<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private boolean writer;
  private long watermarkIndex;
  private long watermarkSeq;
  private long publishedIndex;
  private StoreQueries queries;
  private GroupCommit<BatchWriter.Prepared> groupCommit;
  private EventPruner pruner;
  private MessageConsumer<Applied> applied;
  private long pruneTimer = -1;
  private boolean pruning;

  public StoreVerticle(Database database, CenterConfig.Store config) {
    this(database, config, null, false, System::currentTimeMillis);
  }

  /**
   * @param missions  for loading the control state when a new Raft group forms
   * @param clustered whether only the Raft leader's store writes
   */
  public StoreVerticle(Database database, CenterConfig.Store config, CenterConfig.Missions missions,
                       boolean clustered) {
    this(database, config, missions, clustered, System::currentTimeMillis);
  }

  /** @param clock wall clock in epoch ms, for the event retention */
  StoreVerticle(Database database, CenterConfig.Store config, CenterConfig.Missions missions, boolean clustered,
                LongSupplier clock) {
    this.database = database;
    this.config = config;
    this.missions = missions;
    this.clustered = clustered;
    this.writer = !clustered;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    ControlClient.registerCodecs(vertx);
    new StoreClient(vertx);
    queries = new StoreQueries(database.pool());
    pruner = new EventPruner(database.pool(), PRUNE_BATCH);
    BatchWriter writer = new BatchWriter(database.pool());
    return queries.lastPersistedSeq().compose(seq -> {
      groupCommit = new GroupCommit<>(vertx, sink(writer), this::publish, config.batchMaxEvents(), seq, 100, 5_000);
      var bus = vertx.eventBus();
      applied = bus.localConsumer(ControlClient.APPLIED, m -> onApplied(m.body()));
      consumers.add(bus.<Object>localConsumer(StoreClient.QUERY, this::onQuery));
      if (clustered) {
        consumers.add(bus.<NodeStatus>localConsumer(io.falconmind.center.raft.RaftVerticle.ROLE, m -> onRole(m.body())));
        consumers.add(bus.<ControlSnapshot>localConsumer(ControlClient.RESTORED, m -> onRestored(m.body())));
        consumers.add(bus.<JsonObject>consumer(WATERMARK, m -> onWatermark(m.body())));
      }
      pruneTimer = vertx.setPeriodic(PRUNE_EVERY_MS, id -> prune());
      LOG.info("store started; events persisted up to seq {}", seq);
      List<Future<?>> ready = new ArrayList<>();
      ready.add(applied.completion());
      for (MessageConsumer<?> c : consumers) ready.add(c.completion());
      return Future.all(ready);
    });
  }

  @Override
  public Future<?> stop() {
    if (pruneTimer >= 0) vertx.cancelTimer(pruneTimer);
    if (applied == null) return Future.succeededFuture();
    for (MessageConsumer<?> c : consumers) c.unregister();
    return applied.unregister()
        .compose(v -> groupCommit.close(STOP_TIMEOUT_MS))
        .onFailure(t -> LOG.warn("store stopped with entries not persisted: {}", t.getMessage()))
        .otherwiseEmpty();
  }

  /** Encoding runs on worker threads, so it neither holds up this event loop nor the next write. */
  private GroupCommit.Sink<BatchWriter.Prepared> sink(BatchWriter writer) {
    return new GroupCommit.Sink<>() {
      @Override
      public Future<BatchWriter.Prepared> prepare(List<Event> events) {
        return vertx.executeBlocking(() -> BatchWriter.prepare(events), false);
      }

      @Override
      public Future<Void> write(BatchWriter.Prepared prepared) {
        return writer.write(prepared);
      }
    };
  }

  private void publish(PersistedEvents persisted) {
    publishedIndex = Math.max(publishedIndex, persisted.index());
    vertx.eventBus().publish(ControlClient.PERSISTED, persisted, LOCAL);
    if (clustered) {
      vertx.eventBus().publish(WATERMARK, new JsonObject().put("index", persisted.index()).put("seq", persisted.seq()));
    }
  }

  private void onApplied(Applied a) {
    if (writer) {
      groupCommit.offer(a);
    } else {
      held.add(a);
      release();
    }
  }

  /** The leader writes; on becoming leader, first everything held. */
  private void onRole(NodeStatus status) {
    boolean leader = "LEADER".equals(status.role());
    if (leader == writer) return;
    writer = leader;
    if (leader) {
      LOG.info("this node's store writes now; {} applied entries were not yet known to be persisted", held.size());
      while (!held.isEmpty()) {
        Applied a = held.poll();
        if (a.index() > publishedIndex) groupCommit.offer(a);
      }
    }
  }

  private void onWatermark(JsonObject watermark) {
    if (writer) return;
    watermarkIndex = Math.max(watermarkIndex, watermark.getLong("index", 0L));
    watermarkSeq = Math.max(watermarkSeq, watermark.getLong("seq", 0L));
    release();
  }

  /** The state was replaced: what it covers needs no release of its own. */
  private void onRestored(ControlSnapshot snapshot) {
    held.removeIf(a -> a.index() <= snapshot.index());
    watermarkIndex = snapshot.index();
    publishedIndex = snapshot.index();
  }

  /** Publishes, as persisted, every held entry the writing store has reported durable. */
  private void release() {
    if (held.isEmpty() || held.peek().index() > watermarkIndex) return;
    List<Event> events = new ArrayList<>();
    long index = 0;
    while (!held.isEmpty() && held.peek().index() <= watermarkIndex) {
      Applied a = held.poll();
      if (a.index() <= publishedIndex) continue;
      events.addAll(a.events());
      index = a.index();
    }
    if (index == 0) return;
    long seq = events.isEmpty() ? watermarkSeq : events.get(events.size() - 1).seq();
    publishedIndex = index;
    vertx.eventBus().publish(ControlClient.PERSISTED, new PersistedEvents(index, seq, List.copyOf(events)), LOCAL);
  }

  private void onQuery(Message<Object> message) {
    String op = message.headers().get(StoreClient.OP_HEADER);
    Future<?> result;
    try {
      result = answer(op == null ? "" : op, message.body());
    } catch (ClassCastException | NullPointerException e) {
      result = Future.failedFuture(StoreException.badRequest("bad body for store operation '" + op + "'"));
    }
    result.onSuccess(message::reply).onFailure(t -> {
      StoreException e = StoreException.from(t);
      if (e.status() >= 500) LOG.warn("store query {} failed: {}", op, e.getMessage());
      message.fail(e.status(), e.getMessage());
    });
  }

  private Future<?> answer(String op, Object body) {
    return switch (op) {
      case "mission" -> queries.mission((String) body);
      case "missions" -> queries.missions((MissionFilter) body);
      case "eventsAfter" -> {
        JsonObject request = (JsonObject) body;
        yield queries.eventsAfter(request.getLong("afterSeq", 0L), request.getInteger("limit", 1_000));
      }
      case "oldestEventSeq" -> queries.oldestEventSeq();
      case "ping" -> queries.ping().map("pong");
      case "controlSnapshot" -> database.loadSnapshot(clock.getAsLong(), missions);
      default -> Future.failedFuture(StoreException.badRequest("unknown store operation '" + op + "'"));
    };
  }

  private void prune() {
    if (pruning) return;
    pruning = true;
    long cutoff = clock.getAsLong() - config.eventRetentionHours() * 3_600_000L;
    pruner.prune(cutoff)
        .onSuccess(n -> {
          if (n > 0) LOG.info("pruned {} events older than {} h", n, config.eventRetentionHours());
        })
        .onFailure(t -> LOG.warn("pruning events failed: {}", t.toString()))
        .onComplete(ar -> pruning = false);
  }
}
