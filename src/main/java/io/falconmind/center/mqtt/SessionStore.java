package io.falconmind.center.mqtt;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;

/**
 * Node-wide MQTT session bookkeeping shared by the server instances of one node (thread-safe local
 * maps): which instance holds the live session of each client, and the persistent sessions of
 * clients that are away. Persistent sessions live in this node's memory only: a client that comes
 * back through another node, or after a restart, starts a new session.
 */
final class SessionStore {

  private final LocalMap<String, String> owners;
  private final LocalMap<String, StoredSession> stored;

  SessionStore(Vertx vertx) {
    this.owners = vertx.sharedData().getLocalMap("center.mqtt.owners");
    this.stored = vertx.sharedData().getLocalMap("center.mqtt.sessions");
  }

  /** Records the live session of {@code clientId}; returns the owner it replaced, or null. */
  String own(String clientId, String owner) {
    return owners.put(clientId, owner);
  }

  String owner(String clientId) {
    return owners.get(clientId);
  }

  /** Forgets the owner only if it is still {@code owner} (a newer session may have replaced it). */
  void disown(String clientId, String owner) {
    owners.remove(clientId, owner);
  }

  void keep(StoredSession session) {
    stored.put(session.clientId(), session);
  }

  /** Removes and returns the stored session if it has not expired. */
  StoredSession take(String clientId, long now) {
    StoredSession s = stored.remove(clientId);
    return s == null || s.expiresAt() < now ? null : s;
  }

  void discard(String clientId) {
    stored.remove(clientId);
  }

  static String owner(String instanceAddress, String sessionId) {
    return instanceAddress + " " + sessionId;
  }

  static String instanceOf(String owner) {
    return owner.substring(0, owner.indexOf(' '));
  }

  static String sessionOf(String owner) {
    return owner.substring(owner.indexOf(' ') + 1);
  }
}
