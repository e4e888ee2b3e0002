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
 * One instance per node. Everything runs on its event loop; the {@link Database} belongs to the
 * caller, who closes it after undeploying this verticle. Stopping waits (up to 10 s) for queued
 * entries to be written; what is left was never reported persisted.
 */
public final class StoreVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(StoreVerticle.class);
  private static final long PRUNE_EVERY_MS = 60_000;
  private static final int PRUNE_BATCH = 1_000;
  private static final long STOP_TIMEOUT_MS = 10_000;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Database database;
  private final CenterConfig.Store config;
  private final LongSupplier clock;
  private StoreQueries queries;
  private GroupCommit<BatchWriter.Prepared> groupCommit;
  private EventPruner pruner;
  private MessageConsumer<Applied> applied;
  private long pruneTimer = -1;
  private boolean pruning;

  public StoreVerticle(Database database, CenterConfig.Store config) {
    this(database, config, System::currentTimeMillis);
  }

  /** @param clock wall clock in epoch ms, for the event retention */
  StoreVerticle(Database database, CenterConfig.Store config, LongSupplier clock) {
    this.database = database;
    this.config = config;
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
      applied = vertx.eventBus().localConsumer(ControlClient.APPLIED, m -> groupCommit.offer(m.body()));
      MessageConsumer<Object> query = vertx.eventBus().localConsumer(StoreClient.QUERY, this::onQuery);
      pruneTimer = vertx.setPeriodic(PRUNE_EVERY_MS, id -> prune());
      LOG.info("store started; events persisted up to seq {}", seq);
      return Future.join(applied.completion(), query.completion());
    });
  }

  @Override
  public Future<?> stop() {
    if (pruneTimer >= 0) vertx.cancelTimer(pruneTimer);
    if (applied == null) return Future.succeededFuture();
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
    vertx.eventBus().publish(ControlClient.PERSISTED, persisted, LOCAL);
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
