package io.falconmind.center.mqtt;

import io.falconmind.center.mqtt.ReasonCodes.CloseReason;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The live sessions of one MQTT server instance, by client id, and takeover across the instances
 * of the node: each instance serves {@code center.mqtt.sessions.<nodeId>.<instance>} (local only),
 * where another instance asks it to close a client's session before the client's new connection is
 * accepted. Used from the instance's context only.
 */
final class SessionRegistry {

  private static final long TAKEOVER_TIMEOUT_MS = 3_000;

  private final Vertx vertx;
  private final SessionStore store;
  private final String address;
  private final Map<String, DeviceSession> sessions = new HashMap<>();
  private MessageConsumer<JsonObject> consumer;

  SessionRegistry(Vertx vertx, String nodeId, SessionStore store) {
    this.vertx = vertx;
    this.store = store;
    this.address = "center.mqtt.sessions." + nodeId + "." + UUID.randomUUID();
  }

  Future<Void> start() {
    consumer = vertx.eventBus().localConsumer(address, this::onTakeOver);
    return consumer.completion();
  }

  SessionStore store() {
    return store;
  }

  DeviceSession get(String clientId) {
    return sessions.get(clientId);
  }

  Collection<DeviceSession> all() {
    return new ArrayList<>(sessions.values());
  }

  int size() {
    return sessions.size();
  }

  /** Closes the live session of {@code clientId} wherever it is on this node; completes when it is closed. */
  Future<Void> takeOver(String clientId) {
    String owner = store.owner(clientId);
    return owner == null ? Future.succeededFuture() : close(clientId, owner);
  }

  /** Records an accepted session as the client's live one. */
  void register(DeviceSession session) {
    DeviceSession local = sessions.put(session.clientId(), session);
    if (local != null && local != session) local.terminate(CloseReason.TAKEN_OVER);
    String previous = store.own(session.clientId(), SessionStore.owner(address, session.sessionId()));
    // a connection of the same client accepted concurrently on another instance
    if (previous != null && !SessionStore.instanceOf(previous).equals(address)) close(session.clientId(), previous);
  }

  void unregister(DeviceSession session) {
    sessions.remove(session.clientId(), session);
    store.disown(session.clientId(), SessionStore.owner(address, session.sessionId()));
  }

  /** Closes every session (the instance stops). */
  void closeAll(CloseReason reason) {
    for (DeviceSession s : all()) s.terminate(reason);
    if (consumer != null) consumer.unregister();
  }

  private Future<Void> close(String clientId, String owner) {
    String instance = SessionStore.instanceOf(owner);
    if (instance.equals(address)) {
      DeviceSession local = sessions.get(clientId);
      if (local != null) local.terminate(CloseReason.TAKEN_OVER);
      return Future.succeededFuture();
    }
    JsonObject body = new JsonObject().put("clientId", clientId).put("sessionId", SessionStore.sessionOf(owner));
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(TAKEOVER_TIMEOUT_MS);
    return vertx.eventBus().request(instance, body, options)
        .<Void>mapEmpty()
        .recover(failure -> Future.succeededFuture());
  }

  private void onTakeOver(Message<JsonObject> message) {
    DeviceSession s = sessions.get(message.body().getString("clientId"));
    if (s != null) s.terminate(CloseReason.TAKEN_OVER);
    message.reply(null);
  }

  /** Sessions of this instance, for periodic work. */
  List<DeviceSession> snapshot() {
    return new ArrayList<>(sessions.values());
  }
}
