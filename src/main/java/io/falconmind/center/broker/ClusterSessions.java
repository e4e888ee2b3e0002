package io.falconmind.center.broker;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster's record of which node holds each client's session ({@code center.mqtt.clients})
 * and the session store ({@code center.mqtt.sessions}), both Hazelcast maps with backups: claims
 * and handovers of sessions between nodes, and the adoption of the sessions of a node that left.
 * Blocking calls only where a method says so.
 */
final class ClusterSessions {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterSessions.class);
  private static final String CLIENTS = "center.mqtt.clients";
  private static final String SESSIONS = "center.mqtt.sessions";
  private static final long HANDOVER_TIMEOUT_MS = 5_000;
  private static final char SEP = BrokerCluster.SEP;

  /** A stored session of a departed node, with the holder entry it had. */
  record Orphan(String clientId, String holder, SessionState state) {
  }

  /** A session taken on from another node: from {@code node} itself, or from the session store when null. */
  record Handed(SessionState state, String node) {
  }

  private final Vertx vertx;
  private final String nodeId;
  private final String memberId;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> clientMap;
  private final IMap<String, byte[]> sessionMap;

  /** Creates the map proxies: call off the event loop. */
  ClusterSessions(Vertx vertx, String nodeId, String memberId, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.memberId = memberId;
    this.hazelcast = hazelcast;
    this.clientMap = hazelcast.getMap(CLIENTS);
    this.sessionMap = hazelcast.getMap(SESSIONS);
  }

  /**
   * Records this node as the one holding {@code clientId}'s session. When another node held it,
   * that node closes the client's connection there and hands the session over (null when it ends
   * with a clean start, or when that node is gone and the session store has none).
   */
  Future<Handed> claim(String clientId, boolean cleanStart) {
    return Future.fromCompletionStage(clientMap.putAsync(clientId, nodeId + SEP + memberId), vertx.getOrCreateContext())
        .compose(owner -> {
          if (cleanStart) sessionMap.removeAsync(clientId);
          String previous = owner == null ? null : owner.substring(0, Math.max(0, owner.indexOf(SEP)));
          if (previous == null || previous.equals(nodeId)) return Future.succeededFuture(null);
          Buffer request = Buffer.buffer();
          PublicationCodec.writeString(request, clientId);
          request.appendByte((byte) (cleanStart ? 1 : 0));
          PublicationCodec.writeString(request, nodeId);
          return vertx.eventBus().<Buffer>request(BrokerCluster.handOverAddress(previous), request,
                  new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(HANDOVER_TIMEOUT_MS))
              .map(reply -> reply.body().length() == 0 ? (Handed) null : new Handed(SessionCodec.decode(reply.body()), previous))
              .recover(e -> {
                LOG.info("session of {} not handed over by node {} ({}); taking it from the session store", clientId,
                    previous, e.getMessage());
                return cleanStart ? Future.succeededFuture(null)
                    : storedSession(clientId).map(state -> state == null ? null : new Handed(state, null));
              });
        });
  }

  private Future<SessionState> storedSession(String clientId) {
    return Future.fromCompletionStage(sessionMap.getAsync(clientId), vertx.getOrCreateContext())
        .map(bytes -> bytes == null ? null : SessionCodec.decode(Buffer.buffer(bytes)))
        .otherwise(e -> {
          LOG.warn("stored session of {} not readable: {}", clientId, e.toString());
          return null;
        });
  }

  /** Keeps {@code state} in the session store; while its client is away, only until it expires. */
  Future<Void> store(String clientId, SessionState state) {
    byte[] bytes = SessionCodec.encode(state).getBytes();
    java.util.concurrent.CompletionStage<?> done;
    if (state.disconnectedAt() > 0 && state.expirySec() >= 0) {
      long left = state.expirySec() - (System.currentTimeMillis() - state.disconnectedAt()) / 1000;
      done = left <= 0 ? sessionMap.removeAsync(clientId)
          : sessionMap.setAsync(clientId, bytes, left, java.util.concurrent.TimeUnit.SECONDS);
    } else {
      done = sessionMap.setAsync(clientId, bytes);
    }
    return Future.fromCompletionStage(done).mapEmpty();
  }

  /**
   * The stored sessions of clients whose node (Hazelcast member {@code member}) left; only the
   * oldest member looks, so each is taken on once.
   */
  List<Orphan> orphansOf(String member) {
    List<Orphan> found = new ArrayList<>();
    if (!hazelcast.getCluster().getMembers().iterator().next().localMember()) return found;
    for (Map.Entry<String, String> e : clientMap.entrySet()) {
      if (!e.getValue().endsWith(SEP + member)) continue;
      byte[] bytes = sessionMap.get(e.getKey());
      if (bytes == null) continue;
      try {
        found.add(new Orphan(e.getKey(), e.getValue(), SessionCodec.decode(Buffer.buffer(bytes))));
      } catch (RuntimeException bad) {
        LOG.warn("stored session of {} not readable: {}", e.getKey(), bad.toString());
      }
    }
    return found;
  }

  /**
   * Adopts {@code found} here (on the broker's context), then records this node as their holder;
   * a session whose client connected elsewhere meanwhile is released again.
   */
  Set<String> adoptAll(List<Orphan> found, BrokerCluster.Orphans orphans) {
    List<Orphan> adopted = new ArrayList<>();
    for (Orphan o : found) {
      if (orphans.adopt(o.clientId(), o.state())) adopted.add(o);
    }
    Set<String> ids = new java.util.HashSet<>();
    adopted.forEach(o -> ids.add(o.clientId()));
    if (adopted.isEmpty()) return ids;
    var context = vertx.getOrCreateContext();
    String mine = nodeId + SEP + memberId;
    vertx.executeBlocking(() -> {
      Map<String, Boolean> claimed = new LinkedHashMap<>();
      for (Orphan o : adopted) claimed.put(o.clientId(), clientMap.replace(o.clientId(), o.holder(), mine));
      return claimed;
    }, false).onComplete(done -> context.runOnContext(v -> {
      if (done.failed()) LOG.warn("sessions of a departed node not claimed: {}", done.cause().toString());
      int kept = 0;
      for (Orphan o : adopted) {
        if (done.succeeded() && done.result().get(o.clientId())) {
          orphans.claimed(o.clientId());
          kept++;
        } else {
          orphans.release(o.clientId());
        }
      }
      LOG.info("took on {} sessions of a departed node", kept);
    }));
    return ids;
  }

  /** The session of {@code clientId} ended on this node. */
  void ended(String clientId) {
    vertx.executeBlocking(() -> {
      if (clientMap.remove(clientId, nodeId + SEP + memberId)) sessionMap.remove(clientId);
      return null;
    }, false);
  }
}
