package io.falconmind.center.broker;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * The broker's side of the cluster: the route table (topic filter to the nodes with subscribers)
 * and the retained messages, both in Hazelcast maps (with backups, so they outlive any one node)
 * with a local copy on each node kept current by entry listeners, and the forwarding of a
 * publication to the nodes its topic routes to: one event-bus message per node. A QoS 1/2
 * publication is sent until its node replies that it is safe there; when the node leaves first,
 * it goes to the member that took that node's sessions on. The session store and the handover of
 * sessions between nodes are here too.
 *
 * <p>A route entry is {@code node|group|filter} (group empty for ordinary subscriptions), written
 * by its node when its first local subscription to that filter appears and removed with the last.
 * The entries of a node that leaves the Hazelcast membership are removed by the others. Thread-safe.
 */
final class BrokerCluster {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerCluster.class);
  private static final String ROUTES = "center.mqtt.routes";
  private static final String RETAINED = "center.mqtt.retained";
  static final char SEP = '\u0001';
  private static final String WARM_UP = "warm-up";
  /** The first byte of a forwarded message: a publication for ordinary subscribers and groups, */
  private static final int KIND_ORDINARY = 1;
  /** for shared groups only, */
  private static final int KIND_GROUPS = 0;
  /** a message for one client's session that moved, */
  private static final int KIND_CLIENT = 2;
  /**
   * or a publication that was on its way to a node that left, for the sessions taken on from it;
   * else a step of a fence ({@link RouteFences}).
   */
  private static final int KIND_ORPHANS = 3;
  /** How long a QoS 1/2 publication is tried on a node (and then on the one that took its sessions on). */
  private static final long SAFE_DELIVERY_NS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
  private static final long SAFE_ATTEMPT_MS = 5_000;
  private static final long SAFE_RETRY_MS = 200;
  /** How long word of a member leaving, and of the sessions taken on from it, is waited for. */
  private static final long ADOPTION_WAIT_MS = 60_000;

  /** A node a publication goes to, with what it is to serve there. */
  record Target(String node, boolean ordinary, List<String> groups) {
  }

  private final Vertx vertx;
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> routeMap;
  private final IMap<String, byte[]> retainedMap;
  private final ClusterSessions sessions;
  private final SubscriptionTree routes;
  private final Map<String, Integer> localRouteCounts = new HashMap<>();
  private final Set<String> warmed = ConcurrentHashMap.newKeySet();
  /**
   * The Hazelcast member of each node that had routes, as its route entries say; kept after the
   * member leaves, to tell who took its sessions on.
   */
  private final Map<String, String> memberOfNode = new ConcurrentHashMap<>();
  private final Map<String, io.vertx.core.Promise<Set<String>>> adoptions = new ConcurrentHashMap<>();
  /** Attempts of {@link #deliverSafely} waiting for a node's reply, by node. */
  private final Map<String, Set<io.vertx.core.Promise<Void>>> awaitingReply = new ConcurrentHashMap<>();
  private final RetainedMessages retained;
  private final String memberId;
  private final RouteFences fences;
  private MessageConsumer<Buffer> consumer;
  private MessageConsumer<Buffer> handOverConsumer;
  private UUID membershipListener;

  /**
   * @param retained the broker's local copy of the retained messages, kept current here
   * @param strategy how a shared subscription picks the node that serves a message
   */
  BrokerCluster(Vertx vertx, String nodeId, HazelcastInstance hazelcast, RetainedMessages retained,
                SubscriptionTree.SharedStrategy strategy) {
    this.vertx = vertx;
    this.routes = new SubscriptionTree(strategy);
    this.fences = new RouteFences(vertx, nodeId, strategy);
    this.nodeId = nodeId;
    this.hazelcast = hazelcast;
    this.routeMap = hazelcast.getMap(ROUTES);
    this.retainedMap = hazelcast.getMap(RETAINED);
    this.retained = retained;
    this.memberId = hazelcast.getCluster().getLocalMember().getUuid().toString();
    this.sessions = new ClusterSessions(vertx, nodeId, memberId, hazelcast);
  }

  /** The cluster's record of which node holds each client's session, and the session store. */
  ClusterSessions sessions() {
    return sessions;
  }

  static String address(String nodeId) {
    return "center.mqtt.broker." + nodeId;
  }

  static String handOverAddress(String nodeId) {
    return "center.mqtt.broker.handover." + nodeId;
  }

  /** Where {@link #start} hands a request to give up a client's session to node {@code requester}. */
  interface HandOver {
    Future<SessionState> handOver(String clientId, boolean cleanStart, String requester);
  }

  /**
   * Where {@link #start} hands the stored sessions of a node that left, for this node to keep.
   * Each is adopted before the cluster records this node as its holder, so that a publication or
   * a reconnect that follows the record finds it here.
   */
  interface Orphans {
    /** Takes the session on; false when this node already holds a session of that client. */
    boolean adopt(String clientId, SessionState state);

    /** The cluster now records this node as the holder of the adopted session. */
    void claimed(String clientId);

    /** The client turned up on another node before the claim: the adopted session goes. */
    void release(String clientId);
  }

  /**
   * Listens to both maps, loads them, and serves publications forwarded to this node with
   * {@code deliver(publication, ordinary, groups)}.
   */
  Future<Void> start(Delivery deliver, HandOver handOver, Orphans orphans) {
    var context = vertx.getOrCreateContext();
    consumer = vertx.eventBus().consumer(address(nodeId), m -> {
      if (m.headers().contains(WARM_UP)) return;
      Future<Void> safe = onForwarded(m.body(), deliver);
      if (m.replyAddress() != null) {
        safe.onSuccess(v -> m.reply(Buffer.buffer())).onFailure(e -> m.fail(500, String.valueOf(e.getMessage())));
      }
    });
    handOverConsumer = vertx.eventBus().consumer(handOverAddress(nodeId), m -> {
      if (m.headers().contains(WARM_UP)) return;
      PublicationCodec.Reader in = new PublicationCodec.Reader(m.body(), 0);
      String clientId = in.string();
      boolean cleanStart = in.u8() == 1;
      String requester = in.string();
      handOver.handOver(clientId, cleanStart, requester)
          .onSuccess(state -> m.reply(state == null ? Buffer.buffer() : SessionCodec.encode(state)))
          .onFailure(e -> m.fail(500, e.toString()));
    });
    return Future.all(consumer.completion(), handOverConsumer.completion()).compose(v -> vertx.executeBlocking(() -> {
      routeMap.addEntryListener(new RouteListener(), true);
      retainedMap.addEntryListener(new RetainedListener(), true);
      membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent e) {
        }

        @Override
        public void memberRemoved(MembershipEvent e) {
          String member = e.getMember().getUuid().toString();
          failAwaitingReplies(member);
          vertx.executeBlocking(() -> removeRoutesOf(member), false);
          vertx.executeBlocking(() -> sessions.orphansOf(member), false)
              .onComplete(found -> context.runOnContext(v -> {
                Set<String> adopted = found.succeeded() ? sessions.adoptAll(found.result(), orphans) : Set.of();
                adoption(member).tryComplete(adopted);
              }));
        }
      });
      for (Map.Entry<String, String> e : routeMap.entrySet()) addRoute(e.getKey(), e.getValue());
      for (Map.Entry<String, byte[]> e : retainedMap.entrySet()) retainedChanged(e.getKey(), e.getValue());
      return null;
    }, false)).onSuccess(v -> LOG.info("broker routes: {} subscriptions across the cluster, {} retained messages",
        routes.size(), retained.size())).mapEmpty();
  }

  void stop() {
    if (consumer != null) consumer.unregister();
    if (handOverConsumer != null) handOverConsumer.unregister();
    if (membershipListener != null) {
      try {
        hazelcast.getCluster().removeMembershipListener(membershipListener);
      } catch (RuntimeException e) {
        LOG.debug("membership listener not removed: {}", e.toString());
      }
    }
  }

  /** Where {@link #start} hands what other nodes forward to this one. */
  interface Delivery {
    /**
     * A publication to serve here: ordinary subscribers when {@code ordinary}, and one member of
     * each shared group in {@code groups}.
     */
    Future<Void> deliver(Publication p, boolean ordinary, List<String> groups);

    /** A message for one client's session, forwarded by the node the session moved from. */
    Future<Void> deliverTo(String clientId, BrokerSession.Outgoing message);

    /**
     * A publication that was on its way to a node that left, for the sessions this node took on
     * from it ({@code clientIds}); as {@link #deliver} otherwise.
     */
    Future<Void> deliverAdopted(Publication p, boolean ordinary, List<String> groups, Set<String> clientIds);

    /**
     * The fence {@link #askFence} asked {@code origin} for arrived: its publications numbered up to
     * {@code upTo} that went through the old node have all been passed on here.
     */
    void fenced(String clientId, String origin, long upTo);
  }

  // ---- routes -------------------------------------------------------------------------------

  /** A local session subscribed to {@code filter} (in {@code group}, null for none). */
  void subscribed(String filter, String group) {
    String key = routeKey(nodeId, group, filter);
    boolean first;
    synchronized (localRouteCounts) {
      first = localRouteCounts.merge(key, 1, Integer::sum) == 1;
    }
    if (!first) return;
    // in the local copy at once: the next publish on this node must find it
    addRoute(key, nodeId + SEP + memberId);
    routeMap.setAsync(key, nodeId + SEP + memberId);
  }

  /** A local session no longer subscribes to {@code filter} (in {@code group}). */
  void unsubscribed(String filter, String group) {
    String key = routeKey(nodeId, group, filter);
    boolean last;
    synchronized (localRouteCounts) {
      Integer n = localRouteCounts.get(key);
      if (n == null) return;
      last = n == 1;
      if (last) localRouteCounts.remove(key);
      else localRouteCounts.put(key, n - 1);
    }
    if (!last) return;
    removeRoute(key);
    routeMap.removeAsync(key);
  }

  /** The nodes {@code p} goes to: each with ordinary subscribers, plus one per shared group. */
  List<Target> targets(Publication p) {
    Map<String, Target> byNode = new LinkedHashMap<>();
    List<SubscriptionTree.Match> matches = routes.match(p.topic(), p.publisher(), n -> true);
    for (String node : fences.pinnedNodes(p)) byNode.put(node, new Target(node, true, new ArrayList<>(1)));
    for (SubscriptionTree.Match m : matches) {
      Target t = byNode.get(m.clientId());
      boolean ordinary = !m.shared() || t != null && t.ordinary();
      List<String> groups = t == null ? new ArrayList<>(1) : t.groups();
      if (m.shared()) groups.add(m.groupKey());
      byNode.put(m.clientId(), new Target(m.clientId(), ordinary, groups));
    }
    return new ArrayList<>(byNode.values());
  }

  /** As {@link RouteFences#route}. */
  <T> T route(Publication p, Function<Publication, T> send) {
    return fences.route(p, send);
  }

  /** As {@link RouteFences#ask}. */
  void askFence(String origin, String clientId, String old, List<String> filters) {
    fences.ask(origin, clientId, old, filters);
  }

  /** Sends {@code p} to another node, to serve {@code target}'s part there. */
  Future<Void> forward(Target target, Publication p) {
    Buffer out = Buffer.buffer(96 + p.payload().length());
    out.appendByte((byte) (target.ordinary() ? KIND_ORDINARY : KIND_GROUPS)).appendInt(target.groups().size());
    for (String g : target.groups()) PublicationCodec.writeString(out, g);
    PublicationCodec.write(out, p);
    if (p.qos() == 0) {
      vertx.eventBus().send(address(target.node()), out);
      return Future.succeededFuture();
    }
    return deliverSafely(target.node(), out, System.nanoTime() + SAFE_DELIVERY_NS, () -> {
      Buffer orphan = Buffer.buffer(96 + p.payload().length());
      orphan.appendByte((byte) KIND_ORPHANS);
      PublicationCodec.writeString(orphan, memberOfNode.getOrDefault(target.node(), ""));
      orphan.appendByte((byte) (target.ordinary() ? 1 : 0)).appendInt(target.groups().size());
      for (String g : target.groups()) PublicationCodec.writeString(orphan, g);
      PublicationCodec.write(orphan, p);
      return orphan;
    });
  }

  /** Sends a message owed to {@code clientId} to the node its session moved to. */
  Future<Void> forwardTo(String node, String clientId, BrokerSession.Outgoing message) {
    Buffer out = Buffer.buffer(96 + message.publication().payload().length());
    out.appendByte((byte) KIND_CLIENT);
    PublicationCodec.writeString(out, clientId);
    SessionCodec.writeOutgoing(out, message);
    if (message.qos() == 0) {
      vertx.eventBus().send(address(node), out);
      return Future.succeededFuture();
    }
    // the session is the client's now wherever it is; a node that left passes it to its adopter with the rest
    return deliverSafely(node, out, System.nanoTime() + SAFE_DELIVERY_NS, null);
  }

  /**
   * Sends {@code out} to {@code node} until it confirms the message is safe there (in its
   * sessions, and in the session store for those that outlive their connection). While the node
   * is still in the cluster, a failed send is tried again; once it has left, {@code orphaned}
   * (when given) is sent to the member that took its sessions on. Fails after the deadline.
   */
  private Future<Void> deliverSafely(String node, Buffer out, long deadline, java.util.function.Supplier<Buffer> orphaned) {
    return requestSafe(node, out).recover(e -> {
      if (System.nanoTime() > deadline) return Future.failedFuture(e);
      String member = memberOfNode.get(node);
      boolean present = member != null && isMember(member);
      if (!present && orphaned != null) {
        String adopter = hazelcast.getCluster().getMembers().iterator().next().getUuid().toString();
        String adopterNode = nodeOfMember(adopter);
        if (adopterNode == null) return Future.failedFuture(e);
        LOG.info("node {} left with a publication on its way; it goes to the sessions node {} took on", node, adopterNode);
        return deliverSafely(adopterNode, orphaned.get(), deadline, null);
      }
      return Future.<Void>future(retry -> vertx.setTimer(SAFE_RETRY_MS, t -> retry.complete()))
          .compose(v -> deliverSafely(node, out, deadline, orphaned));
    });
  }

  /**
   * One attempt of {@link #deliverSafely}: fails on timeout, or at once when the node's member
   * leaves the cluster (the reply will never come).
   */
  private Future<Void> requestSafe(String node, Buffer out) {
    io.vertx.core.Promise<Void> reply = io.vertx.core.Promise.promise();
    Set<io.vertx.core.Promise<Void>> waiting = awaitingReply.computeIfAbsent(node, n -> ConcurrentHashMap.newKeySet());
    waiting.add(reply);
    var options = new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(SAFE_ATTEMPT_MS);
    vertx.eventBus().request(address(node), out, options).onComplete(done -> {
      if (done.succeeded()) reply.tryComplete();
      else reply.tryFail(done.cause());
    });
    return reply.future().onComplete(done -> waiting.remove(reply));
  }

  /** The member left: what waits for a reply from its node fails now. */
  private void failAwaitingReplies(String member) {
    for (Map.Entry<String, String> e : memberOfNode.entrySet()) {
      if (!e.getValue().equals(member)) continue;
      Set<io.vertx.core.Promise<Void>> waiting = awaitingReply.remove(e.getKey());
      if (waiting != null) waiting.forEach(p -> p.tryFail("node " + e.getKey() + " left the cluster"));
    }
  }

  private boolean isMember(String member) {
    for (com.hazelcast.cluster.Member m : hazelcast.getCluster().getMembers()) {
      if (m.getUuid().toString().equals(member)) return true;
    }
    return false;
  }

  private String nodeOfMember(String member) {
    if (member.equals(memberId)) return nodeId;
    for (Map.Entry<String, String> e : memberOfNode.entrySet()) {
      if (e.getValue().equals(member)) return e.getKey();
    }
    return null;
  }

  /** Completes with the sessions this node took on from {@code member} once it has (none when another did). */
  private io.vertx.core.Promise<Set<String>> adoption(String member) {
    return adoptions.computeIfAbsent(member, m -> {
      io.vertx.core.Promise<Set<String>> p = io.vertx.core.Promise.promise();
      vertx.setTimer(ADOPTION_WAIT_MS, t -> {
        p.tryFail("no word of member " + m + " leaving");
        vertx.setTimer(ADOPTION_WAIT_MS, u -> adoptions.remove(m, p));
      });
      return p;
    });
  }

  boolean isLocal(String node) {
    return nodeId.equals(node);
  }

  private Future<Void> onForwarded(Buffer body, Delivery deliver) {
    try {
      PublicationCodec.Reader in = new PublicationCodec.Reader(body, 0);
      int kind = in.u8();
      if (kind == KIND_CLIENT) {
        String clientId = in.string();
        return deliver.deliverTo(clientId, SessionCodec.readOutgoing(in));
      }
      if (kind > KIND_ORPHANS) return fences.onFence(kind, in, deliver);
      if (kind == KIND_ORPHANS) {
        String member = in.string();
        boolean ordinary = in.u8() == 1;
        List<String> groups = groups(in);
        Publication p = PublicationCodec.read(in);
        return adoption(member).future().compose(ids -> deliver.deliverAdopted(p, ordinary, groups, ids));
      }
      List<String> groups = groups(in);
      return deliver.deliver(PublicationCodec.read(in), kind == KIND_ORDINARY, groups);
    } catch (RuntimeException e) {
      LOG.warn("dropped an undecodable forwarded publication: {}", e.toString());
      return Future.failedFuture(e);
    }
  }

  private static List<String> groups(PublicationCodec.Reader in) {
    int n = SessionCodec.count(in.i32());
    List<String> groups = new ArrayList<>(n);
    for (int i = 0; i < n; i++) groups.add(in.string());
    return groups;
  }

  private static String routeKey(String node, String group, String filter) {
    return node + SEP + (group == null ? "" : group) + SEP + filter;
  }

  private void addRoute(String key, String value) {
    String[] parts = key.split(String.valueOf(SEP), 3);
    if (parts.length != 3) return;
    int sep = value == null ? -1 : value.indexOf(SEP);
    if (sep > 0) memberOfNode.put(parts[0], value.substring(sep + 1));
    routes.subscribe(parts[0], routeSubscription(parts));
    if (!parts[0].equals(nodeId) && warmed.add(parts[0])) warmUp(parts[0]);
  }

  /**
   * The event bus looks up an address's listeners in Hazelcast on the first send and caches the
   * answer; sending once while the cluster is healthy keeps a later forward from waiting on a
   * member that froze or was cut off.
   */
  private void warmUp(String node) {
    var options = new io.vertx.core.eventbus.DeliveryOptions().addHeader(WARM_UP, "1");
    vertx.eventBus().send(address(node), null, options);
    vertx.eventBus().send(handOverAddress(node), null, options);
  }

  private void removeRoute(String key) {
    String[] parts = key.split(String.valueOf(SEP), 3);
    if (parts.length != 3) return;
    routes.unsubscribe(parts[0], parts[2], parts[1].isEmpty() ? null : parts[1]);
  }

  private static Subscription routeSubscription(String[] parts) {
    return new Subscription(parts[2], parts[1].isEmpty() ? null : parts[1], 2, false, true, 0, 0);
  }

  private Void removeRoutesOf(String member) {
    int removed = 0;
    for (Map.Entry<String, String> e : routeMap.entrySet()) {
      if (e.getValue().endsWith(SEP + member) && routeMap.remove(e.getKey(), e.getValue())) removed++;
    }
    if (removed > 0) LOG.info("removed {} broker routes of departed member {}", removed, member);
    return null;
  }

  private final class RouteListener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
      EntryRemovedListener<String, String>, EntryEvictedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> e) {
      addRoute(e.getKey(), e.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> e) {
      addRoute(e.getKey(), e.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> e) {
      removeRoute(e.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> e) {
      removeRoute(e.getKey());
    }
  }

  // ---- retained -----------------------------------------------------------------------------

  /** Stores (or, with an empty payload, clears) a retained message cluster-wide; completes once it is stored. */
  Future<Void> retain(Publication p) {
    var done = p.payload().length() == 0 ? retainedMap.removeAsync(p.topic())
        : retainedMap.setAsync(p.topic(), PublicationCodec.encode(p).getBytes());
    return Future.fromCompletionStage(done).mapEmpty();
  }

  private void retainedChanged(String topic, byte[] value) {
    if (value == null) {
      retained.clear(topic);
      return;
    }
    try {
      retained.keep(PublicationCodec.decode(Buffer.buffer(value)));
    } catch (RuntimeException e) {
      LOG.warn("retained message on '{}' not decodable: {}", topic, e.toString());
    }
  }

  private final class RetainedListener implements EntryAddedListener<String, byte[]>,
      EntryUpdatedListener<String, byte[]>, EntryRemovedListener<String, byte[]>, EntryEvictedListener<String, byte[]> {
    @Override
    public void entryAdded(EntryEvent<String, byte[]> e) {
      retainedChanged(e.getKey(), e.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, byte[]> e) {
      retainedChanged(e.getKey(), e.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, byte[]> e) {
      retainedChanged(e.getKey(), null);
    }

    @Override
    public void entryEvicted(EntryEvent<String, byte[]> e) {
      retainedChanged(e.getKey(), null);
    }
  }
}
