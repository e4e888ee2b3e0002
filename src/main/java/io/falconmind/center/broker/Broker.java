package io.falconmind.center.broker;

import io.falconmind.center.app.CenterConfig;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The MQTT broker of one node, shared by all its MQTT server instances: sessions by client id,
 * the subscription tree, retained messages, pending will messages, and the live connection of
 * each client ({@link LiveConnections}, for takeover). Every method is thread-safe and non-blocking; deliveries go to each
 * session's connection context ({@link BrokerSession#offer}).
 *
 * <p>Lifecycle: {@link #start()} once on a context of the node (session expiry and the
 * {@code $SYS} topics run on timers there), {@link #stop()} when the node stops.
 */
public final class Broker {

  private static final long SWEEP_MS = 1_000;
  /**
   * How long at most (plus up to {@link #SWEEP_MS}) a publisher waits for its acknowledgement while
   * a client it publishes to lags ({@link BrokerSession#offer}): well within the time another node
   * waits for a forwarded publication to be taken, and enough to let a burst drain.
   */
  static final long HOLD_MAX_MS = 2_000;
  /**
   * How long a node that handed a session to another keeps its routes and passes on what still
   * reaches it for that client: longer than the cluster takes to spread the new node's routes.
   */
  private static final long MOVED_GRACE_MS = 10_000;

  /** The session a CONNECT gets, and whether it existed before (CONNACK session present). */
  public record Opened(BrokerSession session, boolean present) {
  }

  /**
   * A connection here claims its client's session from wherever the cluster holds it; {@code kept}
   * are subscriptions still routed here from when the session last left this node.
   */
  private record Claim(LiveConnections.Live connection, List<Subscription> kept) {
  }

  private final Vertx vertx;
  private final CenterConfig.Broker config;
  private final BrokerAccess access;
  private final BrokerStats stats = new BrokerStats();
  private final SubscriptionTree tree;
  /** {@link #online} and {@link #ready} as the predicates matching takes, made once, not per publication. */
  private final Predicate<String> isOnline = this::online;
  private final Predicate<String> isReady = this::ready;
  private final Map<String, BrokerSession> sessions = new ConcurrentHashMap<>();
  private final LiveConnections live = new LiveConnections();
  private final RetainedMessages retained = new RetainedMessages();
  private final Wills wills;
  private final MovedAway moved;
  private final Arrivals arrivals = new Arrivals(stats);
  private final Map<String, Claim> claiming = new ConcurrentHashMap<>();
  private final SessionMoves moves;
  private StoreWrites storeWrites;
  private final ConnectionSlots connections;
  private final List<Long> timers = new ArrayList<>();
  private volatile BrokerCluster cluster;

  public Broker(Vertx vertx, CenterConfig.Broker config, BrokerAccess access) {
    this.vertx = vertx;
    this.config = config;
    this.access = access;
    this.tree = new SubscriptionTree(config.sharedStrategy());
    this.connections = new ConnectionSlots(config.maxConnections());
    this.wills = new Wills(vertx, this::publish);
    this.moved = new MovedAway(vertx, MOVED_GRACE_MS, this::forget);
    // watched until well after the node it came from stops passing messages on
    this.moves = new SessionMoves(vertx, MOVED_GRACE_MS + 5_000, this::offerHere, (origin, clientId, old, filters) -> {
      BrokerCluster c = cluster;
      if (c != null) c.askFence(origin, clientId, old, filters);
    });
  }

  public void start() {
    storeWrites = new StoreWrites(vertx.getOrCreateContext(), () -> cluster);
    timers.add(vertx.setPeriodic(SWEEP_MS, id -> expireSessions(System.currentTimeMillis())));
    if (config.sysIntervalSec() > 0) timers.add(vertx.setPeriodic(config.sysIntervalSec() * 1000L, id -> publishSys()));
  }

  public void stop() {
    timers.forEach(vertx::cancelTimer);
    if (cluster != null) cluster.stop();
  }

  /**
   * Makes this node's broker part of the cluster's: routes and retained messages shared through
   * {@code hazelcast}, publications forwarded to the nodes with subscribers. Call before the
   * first client connects.
   *
   * @param nodeId this node's id (unique in the cluster)
   */
  public Future<Void> joinCluster(HazelcastInstance hazelcast, String nodeId) {
    // creating the map proxies asks the other members: off the event loop
    return vertx.executeBlocking(() -> new BrokerCluster(vertx, nodeId, hazelcast, retained, config.sharedStrategy()), false)
        .compose(c -> c.start(delivery(), this::handOver, orphans()).onSuccess(v -> cluster = c));
  }

  public CenterConfig.Broker config() {
    return config;
  }

  public BrokerAccess access() {
    return access;
  }

  public BrokerStats stats() {
    return stats;
  }

  public int subscriptionCount() {
    return tree.size();
  }

  public int retainedCount() {
    return retained.size();
  }

  public int sessionCount() {
    return sessions.size();
  }

  /** Whether a will of {@code clientId} waits out its delay here. */
  boolean willPending(String clientId) {
    return wills.pending(clientId);
  }

  // ---- connections ---------------------------------------------------------------------------

  /** The connections this node admits, up to {@code mqtt.maxConnections}. */
  public ConnectionSlots connections() {
    return connections;
  }

  /**
   * Records {@code connection} as the live one of {@code clientId} and closes the one it replaces,
   * if any; completes once that one is closed (its will handled).
   */
  public Future<Void> takeOver(String clientId, LiveConnections.Live connection, boolean cleanStart) {
    Future<Void> local = live.replace(clientId, connection);
    BrokerCluster c = cluster;
    if (c == null) return local;
    // what reaches this node for the client until its session is here waits for it, from before
    // the routes of an earlier stay here stop passing messages on to where the session went
    Claim claim = new Claim(connection, new ArrayList<>());
    Claim earlier = claiming.put(clientId, claim);
    List<Subscription> stale = moved.take(clientId);
    if (stale != null) {
      claim.kept().addAll(stale);
    } else if (earlier != null) {
      claim.kept().addAll(earlier.kept());
    }
    return local.compose(v -> c.sessions().claim(clientId, cleanStart))
        .map(handed -> {
          if (handed != null) adopt(clientId, handed.state(), handed.node());
          return (Void) null;
        })
        .onFailure(e -> released(clientId, connection));
  }

  /**
   * Another node ({@code requester}) takes {@code clientId} over: its connection here is closed,
   * its pending will cancelled (or published, when the new connection starts clean), and its
   * session ends here. Completes with the session to carry on there, or null.
   *
   * <p>A session that carries on keeps its subscriptions routed here for {@link #MOVED_GRACE_MS}:
   * other nodes may still route to this one until they learn the new node's routes, and what
   * reaches this node for the client then is passed on to the new node, which keeps it in order
   * and once ({@link SessionMoves}), so nothing published meanwhile is lost or delivered twice.
   */
  Future<SessionState> handOver(String clientId, boolean cleanStart, String requester) {
    Future<Void> closed = live.closeAndForget(clientId);
    return closed.map(v -> {
      Publication will = wills.take(clientId);
      if (will != null && cleanStart) publish(will);
      BrokerSession s = sessions.get(clientId);
      if (s == null) return null;
      if (cleanStart || s.expired(System.currentTimeMillis())) {
        end(s);
        // the connection that was closing here when this began may have left its will meanwhile
        Publication late = wills.take(clientId);
        if (late != null) publish(late);
        return null;
      }
      List<Subscription> subscriptions = s.subscriptions();
      // what waits to go in order goes in first, to leave with the rest
      moves.end(clientId);
      // recorded before the session stops taking messages, so that none falls between the two
      moved.record(clientId, requester, subscriptions);
      SessionState state = s.moveAway();
      sessions.remove(clientId, s);
      s.discard();
      StoreWrites.release(s);
      // the connection was closing here when this began and may have left its will meanwhile:
      // the client carries the session on with its new connection, so the will is not due
      wills.take(clientId);
      return state;
    });
  }

  /** Takes on, while their clients are away, the sessions of a node that left the cluster. */
  private BrokerCluster.Orphans orphans() {
    return new BrokerCluster.Orphans() {
      @Override
      public boolean adopt(String clientId, SessionState state) {
        if (sessions.containsKey(clientId)) return false;
        Broker.this.adopt(clientId, state, null);
        sessions.get(clientId).away(state.expirySec(),
            state.disconnectedAt() > 0 ? state.disconnectedAt() : System.currentTimeMillis());
        return true;
      }

      @Override
      public void claimed(String clientId) {
        BrokerSession session = sessions.get(clientId);
        if (session != null) store(session);
      }

      @Override
      public void release(String clientId) {
        BrokerSession session = sessions.get(clientId);
        if (session != null && !session.online()) end(session);
      }
    };
  }

  /**
   * Takes on a session handed over by another node ({@code from}; null when it came from the
   * session store). What it owes its client goes in before the session can be found, so that
   * nothing published meanwhile overtakes it; what waited for it (while a connection here claims
   * it) follows once that connection opens it; and while publications still reach it both through
   * {@code from} and straight, {@link SessionMoves} keeps them in order and once each.
   */
  private void adopt(String clientId, SessionState state, String from) {
    moved.settle(clientId);
    if (from != null) {
      List<String> filters = new ArrayList<>();
      for (Subscription s : state.subscriptions()) if (s.shareGroup() == null) filters.add(s.filter());
      moves.begin(clientId, from, filters, state.messages(), state.taken());
    }
    BrokerSession session = sessions.get(clientId);
    boolean fresh = session == null;
    if (fresh) session = new BrokerSession(clientId, config.maxQueuedMessages(), stats);
    // kept until the connecting client's CONNECT sets its expiry
    session.expirySec(-1);
    session.restore(state);
    for (BrokerSession.Outgoing o : state.owed()) session.offer(o);
    if (fresh) sessions.put(clientId, session);
    Claim claim = claiming.get(clientId);
    Map<String, Subscription> kept = new HashMap<>();
    if (claim != null) claim.kept().forEach(s -> kept.put(s.key(), s));
    for (Subscription s : state.subscriptions()) {
      boolean routed = kept.remove(s.key()) != null;
      if (session.putSubscription(s) != null) continue;
      tree.subscribe(clientId, s);
      BrokerCluster c = cluster;
      if (c != null && !routed) c.subscribed(s.filter(), s.shareGroup());
    }
    for (Subscription s : kept.values()) forget(clientId, s);
  }

  /** Forgets {@code connection} as {@code clientId}'s live connection, if it still is. */
  public void released(String clientId, LiveConnections.Live connection) {
    live.forget(clientId, connection);
    Claim claim = claiming.get(clientId);
    if (claim == null || claim.connection() != connection) return;
    BrokerSession session = sessions.get(clientId);
    if (session == null) {
      // what waited stays for a claim that follows, or until it has waited too long
      if (claiming.remove(clientId, claim)) claim.kept().forEach(s -> forget(clientId, s));
      return;
    }
    // the session arrived for a connection that is gone: it keeps what waited for it
    arrivals.settle(clientId, () -> claiming.get(clientId) == claim, w -> offerWaiting(clientId, w),
        () -> claiming.remove(clientId, claim));
  }

  /**
   * The session for a connecting client: a new one when {@code cleanStart} or none is kept, else
   * the kept one. A will still pending from its previous connection is cancelled when the session
   * continues, and published when a clean start ends the old session.
   */
  public Opened open(String clientId, boolean cleanStart, long expirySec) {
    Claim claim = claiming.get(clientId);
    Publication pending = wills.take(clientId);
    BrokerSession existing = sessions.get(clientId);
    long now = System.currentTimeMillis();
    boolean present = existing != null && !cleanStart && !existing.expired(now);
    BrokerSession session;
    if (present) {
      session = existing;
    } else {
      if (existing != null) end(existing);
      if (pending != null) publish(pending);
      moved.settle(clientId);
      if (claim != null) claim.kept().forEach(s -> forget(clientId, s));
      session = new BrokerSession(clientId, config.maxQueuedMessages(), stats);
      sessions.put(clientId, session);
    }
    session.connecting(expirySec);
    // what waited for a session that carries on goes to it; for one that ends, nowhere
    arrivals.settle(clientId, () -> true, w -> {
      if (present) offerWaiting(clientId, w);
      else arrivals.drop(w);
    }, () -> claiming.remove(clientId));
    return new Opened(session, present);
  }

  /**
   * A connection of {@code session} closed. The session ends now if it does not outlive its
   * connection; {@code will} (null when none, or when the client disconnected normally) is
   * published after {@code willDelaySec} or when the session ends, whichever comes first.
   */
  public void closed(BrokerSession session, BrokerSession.Wire wire, Publication will, long willDelaySec) {
    long now = System.currentTimeMillis();
    session.detach(wire, now);
    if (gone(session)) {
      // another node took the client over while this connection was closing: the session went on
      // there with the new connection (a will with a delay is not due then), or it ended
      if (will != null && (!session.movedAway() || willDelaySec <= 0)) publish(will);
      return;
    }
    if (session.online()) {
      // taken over: the new connection carries the session on
      if (will != null) publish(will);
      return;
    }
    long expiry = session.expirySec();
    if (expiry == 0) {
      end(session);
      if (will != null) publish(will);
      return;
    }
    store(session);
    if (will == null) return;
    long delay = expiry < 0 ? willDelaySec : Math.min(willDelaySec, expiry);
    if (delay <= 0) {
      publish(will);
    } else {
      wills.schedule(session.clientId(), will, delay);
      // a takeover from another node that looked for the will before it was here: it carried the
      // session on (no will) or ended it (the will is due now)
      if (gone(session)) {
        Publication pending = wills.take(session.clientId());
        if (pending != null && !session.movedAway()) publish(pending);
      }
    }
  }

  /** Whether the session is no longer this node's: it moved to another node, or it ended. */
  private boolean gone(BrokerSession session) {
    return session.movedAway() || sessions.get(session.clientId()) != session;
  }

  private void end(BrokerSession session) {
    if (!sessions.remove(session.clientId(), session)) return;
    moves.end(session.clientId());
    BrokerCluster c = cluster;
    // a live connection here means a new session of the same client follows on this node
    if (c != null && !live.has(session.clientId())) c.sessions().ended(session.clientId());
    for (Subscription s : session.subscriptions()) forget(session, s);
    session.discard();
    StoreWrites.release(session);
  }

  /**
   * Keeps a persistent session in the cluster's session store (nothing on a standalone node), so
   * that it outlives this node. Called when its subscriptions change, when its client leaves, and
   * each second while messages queue up for its absent client.
   */
  private void store(BrokerSession session) {
    BrokerCluster c = cluster;
    if (c == null) return;
    SessionState state = session.stored();
    if (state != null) c.sessions().store(session.clientId(), state);
  }

  private void expireSessions(long now) {
    arrivals.expire(now);
    for (BrokerSession s : sessions.values()) {
      s.releaseHeld(now - HOLD_MAX_MS);
      if (s.takeChangedWhileAway()) store(s);
      if (!s.expired(now)) continue;
      stats.sessionExpired();
      end(s);
      Publication will = wills.take(s.clientId());
      if (will != null) publish(will);
    }
  }

  // ---- subscriptions -------------------------------------------------------------------------

  /**
   * Adds a subscription and sends the retained messages it asks for (none for a shared
   * subscription; with retain handling 1 only when it is new; never with 2).
   */
  public void subscribe(BrokerSession session, Subscription s) {
    Subscription previous = session.putSubscription(s);
    tree.subscribe(session.clientId(), s);
    BrokerCluster c = cluster;
    if (previous == null && c != null) c.subscribed(s.filter(), s.shareGroup());
    store(session);
    if (s.shareGroup() != null || s.retainHandling() == 2 || s.retainHandling() == 1 && previous != null) return;
    long now = System.currentTimeMillis();
    List<Integer> ids = s.identifier() > 0 ? List.of(s.identifier()) : List.of();
    for (Publication p : retained.matching(s.filter(), now)) {
      session.offer(new BrokerSession.Outgoing(p, Math.min(p.qos(), s.qos()), true, ids));
    }
  }

  /** Removes the subscription {@code key} ({@link Subscription#key()}); false when there was none. */
  public boolean unsubscribe(BrokerSession session, String key) {
    Subscription s = session.removeSubscription(key);
    if (s == null) return false;
    forget(session, s);
    store(session);
    return true;
  }

  private void forget(BrokerSession session, Subscription s) {
    forget(session.clientId(), s);
  }

  private void forget(String clientId, Subscription s) {
    tree.unsubscribe(clientId, s.filter(), s.shareGroup());
    BrokerCluster c = cluster;
    if (c != null) c.unsubscribed(s.filter(), s.shareGroup());
  }

  // ---- publishing ----------------------------------------------------------------------------

  /**
   * Routes a publication to every matching session in the cluster (one message per other node
   * with subscribers), and keeps or clears it as retained. Completes once the publication is
   * safe: in every matching session, and in a cluster, for a QoS 1/2 publication, also in the
   * session store for each session that outlives its connection, on whatever node holds it (or
   * took it on, when that node left meanwhile), and stored as retained when it is. Fails when
   * that could not be made sure of.
   */
  public Future<Void> publish(Publication p) {
    BrokerCluster c = cluster;
    if (c != null) return c.route(p, routed -> publishInCluster(c, routed));
    if (p.retain()) retained.keep(p);
    return deliver(p, true, null);
  }

  private Future<Void> publishInCluster(BrokerCluster c, Publication p) {
    List<Future<Void>> pending = null;
    if (p.retain()) {
      retained.keep(p);
      Future<Void> kept = c.retain(p);
      if (p.qos() > 0) pending = new ArrayList<>(List.of(kept));
    }
    List<BrokerCluster.Target> targets = c.targets(p);
    for (BrokerCluster.Target t : targets) {
      Future<Void> safe = c.isLocal(t.node()) ? deliver(p, t.ordinary(), t.groups()) : c.forward(t, p);
      if (safe.succeeded()) continue;
      if (pending == null) pending = new ArrayList<>(targets.size());
      pending.add(safe);
    }
    return pending == null ? Future.succeededFuture() : Future.all(pending).mapEmpty();
  }

  /** Publishes to this node's sessions only (the node's own {@code $SYS} topics). */
  private void publishLocally(Publication p) {
    if (p.retain()) retained.keep(p);
    deliver(p, true, null);
  }

  /**
   * Offers {@code p} to the local sessions: those with ordinary subscriptions when
   * {@code ordinary}, and one member of each shared group named in {@code groups} (every group
   * when null). A match whose session has moved to another node is passed on there.
   */
  private Future<Void> deliver(Publication p, boolean ordinary, List<String> groups) {
    var matches = tree.match(p.topic(), p.publisher(), isOnline, isReady, ordinary,
        groups == null ? key -> true : groups::contains);
    return offerAll(p, matches, null);
  }

  /** Offers {@code p} to {@code matches} (only to the sessions in {@code only}, when given). */
  private Future<Void> offerAll(Publication p, List<SubscriptionTree.Match> matches, Set<String> only) {
    List<Future<Void>> pending = null;
    for (int i = 0, n = matches.size(); i < n; i++) {
      SubscriptionTree.Match m = matches.get(i);
      if (only != null && !only.contains(m.clientId())) continue;
      boolean retain = !m.shared() && m.retainAsPublished() && p.retain();
      var out = new BrokerSession.Outgoing(p, Math.min(p.qos(), m.qos()), retain, m.identifiers());
      Future<Void> safe = offerTo(m.clientId(), out, false);
      if (safe.succeeded()) continue;
      if (pending == null) pending = new ArrayList<>(2);
      pending.add(safe);
    }
    return pending == null ? Future.succeededFuture() : Future.all(pending).mapEmpty();
  }

  /**
   * Offers {@code out} to the session of {@code clientId} ({@code fromOld} when another node passed
   * it on, as a node the session moved from does): while a connection here claims the session,
   * once that connection opens it (even when it is here already, so that nothing overtakes what
   * waited, or what it brought along); while it has just moved here, in order
   * ({@link SessionMoves}); else here, or on the node it moved to.
   */
  private Future<Void> offerTo(String clientId, BrokerSession.Outgoing out, boolean fromOld) {
    if (claiming.containsKey(clientId)) {
      Future<Void> held = arrivals.holdWhile(clientId, out, fromOld, () -> claiming.containsKey(clientId));
      if (held != null) return held;
    }
    Future<Void> ordered = moves.offer(clientId, out, fromOld);
    if (ordered != null) return ordered;
    // passed on for a session that no longer moves here: one that started anew here, whose own
    // routes bring it what it subscribes to (the old node's outlive the session it had)
    if (fromOld && sessions.containsKey(clientId)) return Future.succeededFuture();
    return offerHere(clientId, out);
  }

  /**
   * Offers {@code out} to the session of {@code clientId} here, or passes it on to the node the
   * session moved to (always: that node sorts out a copy that reaches it straight as well).
   */
  private Future<Void> offerHere(String clientId, BrokerSession.Outgoing out) {
    BrokerSession session = sessions.get(clientId);
    Future<Void> taken = session == null ? null : session.offer(out);
    if (taken != null) {
      Future<Void> stored = storeWrites.stored(session, out);
      return taken.isComplete() ? stored : Future.all(taken, stored).mapEmpty();
    }
    String gone = moved.node(clientId);
    BrokerCluster c = cluster;
    if (gone != null && c != null) return c.forwardTo(gone, clientId, out);
    return Future.succeededFuture();
  }

  private BrokerCluster.Delivery delivery() {
    return new BrokerCluster.Delivery() {
      @Override
      public Future<Void> deliver(Publication p, boolean ordinary, List<String> groups) {
        return Broker.this.deliver(p, ordinary, groups);
      }

      @Override
      public Future<Void> deliverTo(String clientId, BrokerSession.Outgoing message) {
        return offerTo(clientId, message, true);
      }

      @Override
      public Future<Void> deliverAdopted(Publication p, boolean ordinary, List<String> groups, Set<String> clientIds) {
        Predicate<String> adopted = clientIds::contains;
        var matches = tree.match(p.topic(), p.publisher(), adopted, adopted, ordinary, groups::contains);
        return offerAll(p, matches, clientIds);
      }

      @Override
      public void fenced(String clientId, String origin, long upTo) {
        moves.fenced(clientId, origin, upTo);
      }
    };
  }

  /** Offers the session of {@code clientId} a message that reached this node for it before it arrived. */
  private void offerWaiting(String clientId, Arrivals.Waiting w) {
    Future<Void> ordered = moves.offer(clientId, w.message(), w.fromOld());
    (ordered != null ? ordered : offerHere(clientId, w.message())).onComplete(w.safe());
  }

  private boolean online(String clientId) {
    BrokerSession s = sessions.get(clientId);
    return s != null && s.online();
  }

  /** Online and keeping up: a shared subscription's message goes to such a member first. */
  private boolean ready(String clientId) {
    BrokerSession s = sessions.get(clientId);
    return s != null && s.online() && !s.lagging();
  }

  private void publishSys() {
    stats.sysTopics(sessions.values(), tree.size(), retained.size(), System.currentTimeMillis()).forEach(this::publishLocally);
  }

  /** For logs: a one-line summary. */
  @Override
  public String toString() {
    return "broker: " + connections.count() + " connections, " + sessions.size() + " sessions, " + tree.size()
        + " subscriptions, " + retained.size() + " retained";
  }
}
