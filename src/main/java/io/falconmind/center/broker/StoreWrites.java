package io.falconmind.center.broker;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Writes of sessions to the cluster's session store that acknowledgements wait for, grouped: one
 * write per session for whatever was queued in it since its previous one, and at most one under
 * way per session. Thread-safe; writes are
 * started on the broker's context.
 */
final class StoreWrites {

  private final Set<BrokerSession> unstored = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final Context context;
  private final Supplier<BrokerCluster> cluster;

  /** @param cluster the broker's cluster part (null on a standalone node, where nothing is written) */
  StoreWrites(Context context, Supplier<BrokerCluster> cluster) {
    this.context = context;
    this.cluster = cluster;
  }

  /**
   * Completes once {@code session} is stored with {@code out} in it: at once for QoS 0, for a
   * session that does not outlive its connection, and on a standalone node.
   */
  Future<Void> stored(BrokerSession session, BrokerSession.Outgoing out) {
    if (out.qos() == 0 || cluster.get() == null) return Future.succeededFuture();
    Future<Void> f = session.awaitStored();
    if (f.isComplete()) return f;
    schedule(session);
    return f;
  }

  private void schedule(BrokerSession session) {
    unstored.add(session);
    if (flushScheduled.compareAndSet(false, true)) context.runOnContext(v -> flush());
  }

  /**
   * Starts a write for each session with acknowledgements waiting, unless one is under way for it:
   * then what waits goes with the next write, started when that one is done (at most one write per
   * session at a time, however fast messages come).
   */
  private void flush() {
    flushScheduled.set(false);
    BrokerCluster c = cluster.get();
    for (var it = unstored.iterator(); it.hasNext(); ) {
      BrokerSession s = it.next();
      it.remove();
      List<Promise<Void>> waiting = s.startStore();
      if (waiting == null) continue;
      SessionState state = s.stored();
      Future<Void> done = state == null || c == null ? Future.succeededFuture() : c.sessions().store(s.clientId(), state);
      done.onComplete(ar -> {
        waiting.forEach(p -> p.handle(ar));
        if (s.storeDone()) schedule(s);
      });
    }
  }

  /** Completes what waits for {@code session} to be stored: it ends here or moves on. */
  static void release(BrokerSession session) {
    List<Promise<Void>> waiting = session.takeStoreWaiters();
    if (waiting != null) waiting.forEach(Promise::tryComplete);
  }
}
