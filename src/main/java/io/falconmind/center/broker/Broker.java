package io.falconmind.center.broker;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.mqtt.TopicFilter;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The MQTT broker of one node, shared by all its MQTT server instances: sessions by client id,
 * the subscription tree, retained messages, pending will messages, and the live connection of
 * each client (for takeover). Every method is thread-safe and non-blocking; deliveries go to each
 * session's connection context ({@link BrokerSession#offer}).
 *
 * <p>Lifecycle: {@link #start()} once on a context of the node (session expiry and the
 * {@code $SYS} topics run on timers there), {@link #stop()} when the node stops.
 */
public final class Broker {

  private static final long SWEEP_MS = 1_000;

  /** A client's live connection, as the broker needs to take it over. */
  public interface Live {
    Context context();

    /** Closes the connection because the same client id connected again; runs on {@link #context()}. */
    Future<Void> takeOver();
  }

  /** The session a CONNECT gets, and whether it existed before (CONNACK session present). */
  public record Opened(BrokerSession session, boolean present) {
  }

  private record PendingWill(Publication will, long timerId) {
  }

  private final Vertx vertx;
  private final CenterConfig.Broker config;
  private final BrokerAccess access;
  private final BrokerStats stats = new BrokerStats();
  private final SubscriptionTree tree;
  private final Map<String, BrokerSession> sessions = new ConcurrentHashMap<>();
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  private final Map<String, Publication> retained = new ConcurrentHashMap<>();
  private final Map<String, PendingWill> wills = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Long> timers = new ArrayList<>();

  public Broker(Vertx vertx, CenterConfig.Broker config, BrokerAccess access) {
    this.vertx = vertx;
    this.config = config;
    this.access = access;
    this.tree = new SubscriptionTree(config.sharedStrategy());
  }

  public void start() {
    timers.add(vertx.setPeriodic(SWEEP_MS, id -> expireSessions(System.currentTimeMillis())));
    if (config.sysIntervalSec() > 0) {
      timers.add(vertx.setPeriodic(config.sysIntervalSec() * 1000L, id -> publishSys()));
    }
  }

  public void stop() {
    timers.forEach(vertx::cancelTimer);
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

  // ---- connections ---------------------------------------------------------------------------

  /** Counts a new connection; false (and not counted) when the node is at {@code maxConnections}. */
  public boolean admit() {
    while (true) {
      int n = connections.get();
      if (n >= config.maxConnections()) return false;
      if (connections.compareAndSet(n, n + 1)) return true;
    }
  }

  /** Uncounts a connection {@link #admit()} counted. */
  public void left() {
    connections.decrementAndGet();
  }

  public int connectionCount() {
    return connections.get();
  }

  /**
   * Records {@code connection} as the live one of {@code clientId} and closes the one it replaces,
   * if any; completes once that one is closed (its will handled).
   */
  public Future<Void> takeOver(String clientId, Live connection) {
    Live previous = live.put(clientId, connection);
    if (previous == null || previous == connection) return Future.succeededFuture();
    return Future.<Void>future(p -> previous.context().runOnContext(v -> previous.takeOver().onComplete(p)))
        .otherwiseEmpty();
  }

  /** Forgets {@code connection} as {@code clientId}'s live connection, if it still is. */
  public void released(String clientId, Live connection) {
    live.remove(clientId, connection);
  }

  /**
   * The session for a connecting client: a new one when {@code cleanStart} or none is kept, else
   * the kept one. A will still pending from its previous connection is cancelled when the session
   * continues, and published when a clean start ends the old session.
   */
  public Opened open(String clientId, boolean cleanStart, long expirySec) {
    PendingWill pending = wills.remove(clientId);
    if (pending != null) vertx.cancelTimer(pending.timerId());
    BrokerSession existing = sessions.get(clientId);
    long now = System.currentTimeMillis();
    boolean present = existing != null && !cleanStart && !existing.expired(now);
    BrokerSession session;
    if (present) {
      session = existing;
    } else {
      if (existing != null) end(existing);
      if (pending != null) publish(pending.will());
      session = new BrokerSession(clientId, config.maxQueuedMessages(), stats);
      sessions.put(clientId, session);
    }
    session.expirySec(expirySec);
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
    if (will == null) return;
    long delay = expiry < 0 ? willDelaySec : Math.min(willDelaySec, expiry);
    if (delay <= 0) {
      publish(will);
    } else {
      String clientId = session.clientId();
      long timer = vertx.setTimer(delay * 1000, id -> {
        PendingWill p = wills.get(clientId);
        if (p != null && p.timerId() == id && wills.remove(clientId, p)) publish(p.will());
      });
      PendingWill old = wills.put(clientId, new PendingWill(will, timer));
      if (old != null) vertx.cancelTimer(old.timerId());
    }
  }

  private void end(BrokerSession session) {
    if (!sessions.remove(session.clientId(), session)) return;
    for (Subscription s : session.subscriptions()) tree.unsubscribe(session.clientId(), s.filter(), s.shareGroup());
    session.discard();
  }

  private void expireSessions(long now) {
    for (BrokerSession s : sessions.values()) {
      if (!s.expired(now)) continue;
      end(s);
      PendingWill pending = wills.remove(s.clientId());
      if (pending != null) {
        vertx.cancelTimer(pending.timerId());
        publish(pending.will());
      }
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
    if (s.shareGroup() != null || s.retainHandling() == 2 || s.retainHandling() == 1 && previous != null) return;
    long now = System.currentTimeMillis();
    List<Integer> ids = s.identifier() > 0 ? List.of(s.identifier()) : List.of();
    for (Publication p : retained.values()) {
      if (p.expired(now)) {
        retained.remove(p.topic(), p);
        continue;
      }
      if (TopicFilter.matches(s.filter(), p.topic())) {
        session.offer(new BrokerSession.Outgoing(p, Math.min(p.qos(), s.qos()), true, ids));
      }
    }
  }

  /** Removes the subscription {@code key} ({@link Subscription#key()}); false when there was none. */
  public boolean unsubscribe(BrokerSession session, String key) {
    Subscription s = session.removeSubscription(key);
    if (s == null) return false;
    tree.unsubscribe(session.clientId(), s.filter(), s.shareGroup());
    return true;
  }

  // ---- publishing ----------------------------------------------------------------------------

  /** Routes a publication to every matching session, and keeps or clears it as retained. */
  public void publish(Publication p) {
    if (p.retain()) {
      if (p.payload().length() == 0) {
        retained.remove(p.topic());
      } else {
        retained.put(p.topic(), p);
      }
    }
    for (SubscriptionTree.Match m : tree.match(p.topic(), p.publisher(), this::online)) {
      BrokerSession session = sessions.get(m.clientId());
      if (session == null) continue;
      boolean retain = !m.shared() && m.retainAsPublished() && p.retain();
      session.offer(new BrokerSession.Outgoing(p, Math.min(p.qos(), m.qos()), retain, m.identifiers()));
    }
  }

  private boolean online(String clientId) {
    BrokerSession s = sessions.get(clientId);
    return s != null && s.online();
  }

  private void publishSys() {
    long now = System.currentTimeMillis();
    sys("version", "FalconMind Cluster Center");
    sys("uptime", (now - stats.startedAt) / 1000 + " seconds");
    sys("clients/connected", stats.connected.get());
    sys("clients/total", sessions.size());
    sys("messages/received", stats.received.sum());
    sys("messages/sent", stats.sent.sum());
    sys("messages/dropped", stats.dropped.sum());
    sys("messages/expired", stats.expired.sum());
    sys("bytes/received", stats.bytesReceived.sum());
    sys("bytes/sent", stats.bytesSent.sum());
    sys("subscriptions/count", tree.size());
    sys("retained messages/count", retained.size());
    sys("connections/refused", stats.refusedConnections.sum());
  }

  private void sys(String name, Object value) {
    publish(new Publication("$SYS/broker/" + name, Buffer.buffer(String.valueOf(value)), 0, true,
        MqttProperties.NO_PROPERTIES, 0, null));
  }

  /** For logs: a one-line summary. */
  @Override
  public String toString() {
    return "broker: " + connections.get() + " connections, " + sessions.size() + " sessions, " + tree.size()
        + " subscriptions, " + retained.size() + " retained";
  }
}
