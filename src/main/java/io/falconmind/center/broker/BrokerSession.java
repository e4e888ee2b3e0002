package io.falconmind.center.broker;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The MQTT session of one client id: its subscriptions, the messages waiting for it, the QoS 1
 * and 2 messages in flight to it, and the QoS 2 packet ids it sent that await PUBREL. Outlives its
 * connection when the session is persistent (3.1.1 clean session false, MQTT 5 session expiry).
 *
 * <p>Thread-safe: any event loop may {@link #offer} a message; the queue and the flight are
 * guarded by this object, and only the attached connection's context writes to the wire, in
 * {@link #pump()}, which one offer schedules for every burst. Messages from one publisher are
 * queued, and so written, in the order they were offered.
 *
 * <p>A connected client that lags behind its QoS 1/2 messages holds their publishers back rather
 * than losing them: {@link #offer} queues such a message beyond the limit and returns a future
 * that the publisher's acknowledgement waits for, completed once the queue is back under the
 * limit (see {@link #offer}).
 */
public final class BrokerSession {

  /** A message waiting for, or in flight to, this session's client. */
  public record Outgoing(Publication publication, int qos, boolean retain, List<Integer> identifiers) {
  }

  /**
   * A QoS 1/2 message sent to the client and not yet acknowledged, as a session hands it on: its
   * packet identifier, and whether it was released (QoS 2, PUBREC received: only PUBREL is sent again).
   */
  public record Unacked(int packetId, boolean released, Outgoing message) {
  }

  /** What an unacknowledged outgoing QoS 1/2 message waits for. */
  enum Awaiting {
    PUBACK, PUBREC, PUBCOMP
  }

  static final class InFlight {
    final Outgoing message;
    Awaiting awaiting;

    InFlight(Outgoing message, Awaiting awaiting) {
      this.message = message;
      this.awaiting = awaiting;
    }
  }

  /** Where a session writes: its client's live connection. */
  public interface Wire {
    Context context();

    /** Writes a PUBLISH (on {@link #context()}). */
    void publish(Outgoing message, int packetId, boolean dup);

    /** Writes a PUBREL (on {@link #context()}). */
    void release(int packetId);
  }

  private static final Future<Void> TAKEN = Future.succeededFuture();
  /** At most this many messages are written per turn of {@link #pump}; the rest in the next one. */
  private static final int MAX_BATCH = 256;

  private final String clientId;
  private final int maxQueued;
  private final Map<String, Subscription> subscriptions = new HashMap<>();
  private final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
  private final LinkedHashMap<Integer, InFlight> inFlight = new LinkedHashMap<>();
  private final Set<Integer> receivedQos2 = new HashSet<>();
  private final BrokerStats stats;
  private Wire wire;
  private int window = 1;
  private int nextPacketId = 1;
  private boolean pumpScheduled;
  /** Messages were queued while the client was away since the session was last stored. */
  private boolean changedWhileAway;
  /** Seconds the session outlives its connection; 0 = ends with it, -1 = never expires. */
  private long expirySec;
  private long disconnectedAt;
  /** The session moved to another node: it takes no more messages. */
  private boolean movedAway;
  /** Acknowledgements that wait until the session, as it is now, is in the cluster's session store. */
  private List<Promise<Void>> storeWaiters;
  /** A write of this session to the session store is under way. */
  private boolean storing;
  /** The numbered publications it took in lately; null until the first (only a cluster numbers them). */
  private RecentlyTaken taken;
  /** Acknowledgements of publications queued beyond the limit, waiting for the queue to shrink. */
  private List<Promise<Void>> held;
  /** When the oldest of {@link #held} was queued (0 when none): read without the lock by the sweep. */
  private volatile long heldSince;

  BrokerSession(String clientId, int maxQueued, BrokerStats stats) {
    this.clientId = clientId;
    this.maxQueued = maxQueued;
    this.stats = stats;
  }

  public String clientId() {
    return clientId;
  }

  public synchronized boolean online() {
    return wire != null;
  }

  public synchronized long expirySec() {
    return expirySec;
  }

  public synchronized void expirySec(long seconds) {
    this.expirySec = seconds;
  }

  /**
   * A client is connecting to this session and attaches it next: until it leaves again the session
   * does not expire, even when it had been away for longer than its old interval.
   */
  public synchronized void connecting(long expirySec) {
    this.expirySec = expirySec;
    disconnectedAt = 0;
  }

  /** Whether the session has outlived its expiry interval while its client was away. */
  public synchronized boolean expired(long now) {
    // never before its client has been away: a session just opened is not attached yet, and the
    // sweep must not end it under the connection that is about to take it
    return wire == null && disconnectedAt > 0 && expirySec >= 0 && now - disconnectedAt >= expirySec * 1000;
  }

  // ---- subscriptions (changed on the client's connection context) ---------------------------

  public synchronized Subscription subscription(String key) {
    return subscriptions.get(key);
  }

  public synchronized Subscription putSubscription(Subscription s) {
    return subscriptions.put(s.key(), s);
  }

  public synchronized Subscription removeSubscription(String key) {
    return subscriptions.remove(key);
  }

  public synchronized List<Subscription> subscriptions() {
    return new ArrayList<>(subscriptions.values());
  }

  // ---- inbound QoS 2 ------------------------------------------------------------------------

  /** Records a QoS 2 PUBLISH; false when its packet id is already awaiting PUBREL (a duplicate). */
  public synchronized boolean receivedQos2(int packetId) {
    return receivedQos2.add(packetId);
  }

  public synchronized void released(int packetId) {
    receivedQos2.remove(packetId);
  }

  public synchronized int awaitingRelease() {
    return receivedQos2.size();
  }

  // ---- outbound -----------------------------------------------------------------------------

  /**
   * Queues a message for the client. QoS 0 messages are dropped while the client is away; beyond
   * {@code maxQueued} waiting messages, a message is dropped (and counted) unless the client is
   * connected and the message is QoS 1/2: then it is queued still, up to {@code 2 * maxQueued}
   * waiting, and its publisher is held back (the returned future completes once fewer than
   * {@code maxQueued} wait, the client leaves, the session moves or ends, or
   * {@link #releaseHeld} lets it go). Messages that the client's free window places take next,
   * before the connection writes them, are not waiting.
   *
   * @return null, taking nothing, when the session has {@linkplain #moveAway moved} to another
   *     node; else when the publisher may be told that the message is taken
   */
  public Future<Void> offer(Outgoing message) {
    Wire target;
    Promise<Void> hold = null;
    synchronized (this) {
      if (movedAway) return null;
      if (wire == null && message.qos() == 0) {
        stats.dropped();
        return TAKEN;
      }
      // messages the open window takes next are on their way, not waiting: only those behind count
      int room = wire == null ? maxQueued : maxQueued + Math.max(0, window - inFlight.size());
      if (queue.size() >= room) {
        // a connected client drains its queue: its QoS 1/2 publishers wait for it, within a bound
        if (wire == null || message.qos() == 0 || queue.size() >= room + maxQueued) {
          stats.dropped();
          return TAKEN;
        }
        hold = Promise.promise();
        if (held == null) held = new ArrayList<>(4);
        if (held.isEmpty()) heldSince = System.currentTimeMillis();
        held.add(hold);
        stats.heldBack();
      }
      queue.add(message);
      Publication p = message.publication();
      if (p.origin() != null) {
        if (taken == null) taken = new RecentlyTaken();
        taken.add(p.origin(), p.seq(), System.currentTimeMillis());
      }
      if (wire == null) changedWhileAway = true;
      if (wire == null || pumpScheduled) return hold == null ? TAKEN : hold.future();
      pumpScheduled = true;
      target = wire;
    }
    target.context().runOnContext(v -> pump());
    return hold == null ? TAKEN : hold.future();
  }

  /**
   * Lets go of the publishers held back since before {@code heldBefore} (epoch ms), although the
   * queue is still over its limit: their messages stay queued. Bounds how long a publisher waits
   * for a client that drains slowly, or for one that waits in turn for that publisher.
   */
  public void releaseHeld(long heldBefore) {
    long since = heldSince;
    if (since == 0 || since >= heldBefore) return;
    List<Promise<Void>> release;
    synchronized (this) {
      release = takeHeld();
    }
    complete(release);
  }

  /** Publishers held back now. */
  synchronized int heldCount() {
    return held == null ? 0 : held.size();
  }

  /** What {@link #held} holds, taken. Call with the lock held. */
  private List<Promise<Void>> takeHeld() {
    if (held == null || held.isEmpty()) return null;
    List<Promise<Void>> release = held;
    held = null;
    heldSince = 0;
    return release;
  }

  private static void complete(List<Promise<Void>> promises) {
    if (promises != null) promises.forEach(Promise::tryComplete);
  }

  /**
   * Attaches the client's new connection: in-flight messages are sent again (PUBLISH with DUP, or
   * PUBREL), then what waited is sent. Runs on the connection's context.
   *
   * @param receiveMaximum how many QoS 1/2 messages the client accepts unacknowledged
   */
  public void attach(Wire connection, int receiveMaximum) {
    List<Map.Entry<Integer, InFlight>> resend;
    synchronized (this) {
      wire = connection;
      window = Math.max(1, receiveMaximum);
      pumpScheduled = true;
      resend = new ArrayList<>(inFlight.entrySet());
    }
    for (Map.Entry<Integer, InFlight> e : resend) {
      if (e.getValue().awaiting == Awaiting.PUBCOMP) {
        connection.release(e.getKey());
      } else {
        connection.publish(e.getValue().message, e.getKey(), true);
      }
    }
    pump();
  }

  /**
   * Detaches a closed connection (only if it is still the attached one). Publishers held back for
   * it are let go: what they sent stays queued while the session lasts.
   */
  public void detach(Wire connection, long now) {
    List<Promise<Void>> release;
    synchronized (this) {
      if (wire != connection) return;
      wire = null;
      disconnectedAt = now;
      pumpScheduled = false;
      queue.removeIf(m -> m.qos() == 0);
      release = takeHeld();
    }
    complete(release);
  }

  public synchronized boolean attachedTo(Wire connection) {
    return wire == connection;
  }

  /** Writes what the window allows. Runs on the attached connection's context. */
  public void pump() {
    Wire target;
    List<Promise<Void>> release = null;
    Outgoing[] batch;
    int[] packetIds;
    int taken = 0;
    boolean more;
    long now = System.currentTimeMillis();
    synchronized (this) {
      target = wire;
      if (target == null) return;
      if (Vertx.currentContext() != target.context()) {
        // scheduled for a connection that has since been replaced
        Wire moved = target;
        moved.context().runOnContext(v -> pump());
        return;
      }
      pumpScheduled = false;
      batch = new Outgoing[Math.min(queue.size(), MAX_BATCH)];
      packetIds = new int[batch.length];
      while (!queue.isEmpty() && taken < batch.length) {
        Outgoing next = queue.peek();
        if (next.qos() > 0 && inFlight.size() >= window) break;
        queue.poll();
        if (next.publication().expired(now)) {
          stats.expired();
          continue;
        }
        int packetId = 0;
        if (next.qos() > 0) {
          packetId = allocatePacketId();
          inFlight.put(packetId, new InFlight(next, next.qos() == 1 ? Awaiting.PUBACK : Awaiting.PUBREC));
        }
        batch[taken] = next;
        packetIds[taken++] = packetId;
      }
      if (queue.size() < maxQueued) release = takeHeld();
      // a full batch with more behind it: the rest after what else waits on this event loop
      more = taken == MAX_BATCH && !queue.isEmpty();
      if (more) pumpScheduled = true;
    }
    for (int i = 0; i < taken; i++) target.publish(batch[i], packetIds[i], false);
    complete(release);
    if (more) target.context().runOnContext(v -> pump());
  }

  /** PUBACK of a QoS 1 message; frees its slot. */
  public void acknowledged(int packetId) {
    completeIf(packetId, Awaiting.PUBACK);
  }

  /** PUBREC of a QoS 2 message: now awaiting PUBCOMP. False for an unknown packet id. */
  public synchronized boolean received(int packetId) {
    InFlight f = inFlight.get(packetId);
    if (f == null || f.awaiting == Awaiting.PUBACK) return false;
    f.awaiting = Awaiting.PUBCOMP;
    return true;
  }

  /** PUBREC with an error reason (MQTT 5): the message is done with. */
  public void refused(int packetId) {
    completeIf(packetId, Awaiting.PUBREC);
  }

  /** A QoS 1/2 message that could not be sent (too large for the client); frees its slot. */
  public void abandoned(int packetId) {
    Awaiting awaiting;
    synchronized (this) {
      InFlight f = inFlight.get(packetId);
      if (f == null) return;
      awaiting = f.awaiting;
    }
    completeIf(packetId, awaiting);
  }

  /** PUBCOMP of a QoS 2 message; frees its slot. */
  public void completed(int packetId) {
    completeIf(packetId, Awaiting.PUBCOMP);
  }

  private void completeIf(int packetId, Awaiting expected) {
    Wire target;
    synchronized (this) {
      InFlight f = inFlight.get(packetId);
      if (f == null || f.awaiting != expected) return;
      inFlight.remove(packetId);
      if (queue.isEmpty() || wire == null || pumpScheduled) return;
      pumpScheduled = true;
      target = wire;
    }
    target.context().runOnContext(v -> pump());
  }

  /** Whether as many messages wait for the client as the queue limit allows (or more, held back). */
  synchronized boolean lagging() {
    return queue.size() >= maxQueued;
  }

  public synchronized int queued() {
    return queue.size();
  }

  public synchronized int inFlightCount() {
    return inFlight.size();
  }

  /** Whether the session has {@linkplain #moveAway moved} to another node. */
  public synchronized boolean movedAway() {
    return movedAway;
  }

  /**
   * The session moves to another node: returns it as it carries on there (connected), and from now
   * on {@link #offer} takes nothing and the session keeps no message.
   */
  public SessionState moveAway() {
    SessionState state;
    List<Promise<Void>> release;
    synchronized (this) {
      movedAway = true;
      state = state(0, taken == null ? Map.of() : taken.recent(System.currentTimeMillis()));
      inFlight.clear();
      queue.clear();
      release = takeHeld();
    }
    // what they sent goes with the session
    complete(release);
    return state;
  }

  /**
   * The session as the cluster's session store keeps it (nothing is taken from it), or null when
   * it does not outlive its connection or has moved to another node (which stores it from then on).
   */
  public synchronized SessionState stored() {
    if (expirySec == 0 || movedAway) return null;
    return state(wire == null ? disconnectedAt : 0, Map.of());
  }

  private SessionState state(long awaySince, Map<String, long[]> recentlyTaken) {
    List<Unacked> unacked = new ArrayList<>(inFlight.size());
    for (Map.Entry<Integer, InFlight> e : inFlight.entrySet()) {
      unacked.add(new Unacked(e.getKey(), e.getValue().awaiting == Awaiting.PUBCOMP, e.getValue().message));
    }
    return new SessionState(new ArrayList<>(subscriptions.values()), unacked, new ArrayList<>(queue),
        new ArrayList<>(receivedQos2), expirySec, awaySince, recentlyTaken);
  }

  /**
   * Takes on what a session handed over by another node had in flight: its unacknowledged
   * messages keep their packet identifiers (sent again, with DUP or as PUBREL, when the client
   * attaches) unless one is taken here already (then the message is sent again as a new one), the
   * client's QoS 2 publications awaiting PUBREL stay known as received, and so do the publications
   * it took in lately.
   */
  synchronized void restore(SessionState state) {
    for (Unacked u : state.unacked()) {
      if (!inFlight.containsKey(u.packetId())) {
        Awaiting awaiting = u.released() ? Awaiting.PUBCOMP : u.message().qos() == 1 ? Awaiting.PUBACK : Awaiting.PUBREC;
        inFlight.put(u.packetId(), new InFlight(u.message(), awaiting));
        // new identifiers follow on from the old node's, as they would have there
        nextPacketId = u.packetId() % 65535 + 1;
      } else if (!u.released()) {
        queue.add(u.message());
      }
    }
    receivedQos2.addAll(state.receivedQos2());
    if (!state.taken().isEmpty()) {
      // what the client had before the move stays known as taken, should the session move on soon
      if (taken == null) taken = new RecentlyTaken();
      taken.addAll(state.taken(), System.currentTimeMillis());
    }
  }

  /** Whether messages were queued while the client was away since the last call; clears the mark. */
  public synchronized boolean takeChangedWhileAway() {
    boolean changed = changedWhileAway && wire == null;
    changedWhileAway = false;
    return changed;
  }

  /** A session taken on while its client is away (its node is gone): keeps its expiry and its time away. */
  synchronized void away(long expirySec, long disconnectedAt) {
    this.expirySec = expirySec;
    this.disconnectedAt = disconnectedAt;
  }

  /**
   * Completes once the session, with what it holds now, is in the cluster's session store (for a
   * session that outlives its connection; at once for one that does not).
   */
  public synchronized Future<Void> awaitStored() {
    if (expirySec == 0 || movedAway) return Future.succeededFuture();
    if (storeWaiters == null) storeWaiters = new ArrayList<>(4);
    Promise<Void> p = Promise.promise();
    storeWaiters.add(p);
    return p.future();
  }

  /**
   * Starts a write of this session to the session store: the acknowledgements it will complete,
   * taken; null (and nothing started) when none wait or a write is under way already. The caller
   * stores {@link #stored()}, completes them, then calls {@link #storeDone()}.
   */
  synchronized List<Promise<Void>> startStore() {
    if (storing || storeWaiters == null) return null;
    storing = true;
    return takeStoreWaiters();
  }

  /** The write {@link #startStore()} started is done; true when more acknowledgements wait for another. */
  synchronized boolean storeDone() {
    storing = false;
    return storeWaiters != null;
  }

  /** The acknowledgements waiting for a store, taken (null when none). */
  synchronized List<Promise<Void>> takeStoreWaiters() {
    List<Promise<Void>> waiting = storeWaiters;
    storeWaiters = null;
    return waiting;
  }

  /** Ends the session for good: what waited is dropped, and publishers held back for it are let go. */
  public void discard() {
    List<Promise<Void>> release;
    synchronized (this) {
      queue.clear();
      inFlight.clear();
      receivedQos2.clear();
      subscriptions.clear();
      release = takeHeld();
    }
    complete(release);
  }

  private int allocatePacketId() {
    for (int tries = 0; tries < 65535; tries++) {
      int id = nextPacketId;
      nextPacketId = nextPacketId == 65535 ? 1 : nextPacketId + 1;
      if (!inFlight.containsKey(id)) return id;
    }
    throw new IllegalStateException("no free packet id");
  }
}
