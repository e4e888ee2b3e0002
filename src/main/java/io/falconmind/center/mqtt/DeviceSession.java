package io.falconmind.center.mqtt;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Command.StatusReport;
import io.falconmind.center.control.Command.UpdateProfile;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.falconmind.center.device.DevicePayloads;
import io.falconmind.center.device.DeviceProtocolException;
import io.falconmind.center.device.DeviceSignals;
import io.falconmind.center.device.DeviceTopic;
import io.falconmind.center.mqtt.OutboundWindow.Outgoing;
import io.falconmind.center.mqtt.ReasonCodes.CloseReason;
import io.falconmind.center.mqtt.ReasonCodes.SubscribeRefusal;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttUnsubAckReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One MQTT connection of a device, from CONNECT to close, speaking device protocol v1. Owns all
 * per-connection state: subscriptions, the QoS 1 window toward the client, PUBACKs owed to it (sent
 * in the order the PUBLISHes came, each once its command is committed and persisted), and the
 * attempts delivered in this session (delivery is idempotent per mission id and attempt).
 *
 * <p>Lifecycle: CONNECTING (credentials checked, an older session of the client closed) → OPEN
 * (registered as the client's live session, then CONNACK sent, liveness told) → CLOSED. Every
 * close goes through {@link #terminate(CloseReason)}. Runs on its server instance's event loop only.
 */
final class DeviceSession {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceSession.class);
  private static final long OPENED_TIMEOUT_MS = 60_000;

  private enum State { CONNECTING, OPEN, CLOSED }

  /** A PUBACK (or PUBREC) owed to the client; sent when it reaches the head of the queue. */
  private static final class OwedAck {
    final int packetId;
    final int qos;
    boolean settled;
    boolean send;
    MqttPubAckReasonCode code = MqttPubAckReasonCode.SUCCESS;

    OwedAck(int packetId, int qos) {
      this.packetId = packetId;
      this.qos = qos;
    }
  }

  private final SessionContext ctx;
  private final MqttEndpoint endpoint;
  private final String sessionId = UUID.randomUUID().toString();
  private final int version;
  private State state = State.CONNECTING;
  private String deviceId;
  private final Map<String, Integer> subscriptions = new LinkedHashMap<>();
  private final Set<String> delivered = new HashSet<>();
  private final Set<String> running = new HashSet<>();
  private final ArrayDeque<OwedAck> owed = new ArrayDeque<>();
  private final Set<Integer> awaitingRelease = new HashSet<>();
  private OutboundWindow window;
  private Future<?> profileTail = Future.succeededFuture();
  private long onlineSeq = -1;
  private long foreignOnlineSeq = -1;

  DeviceSession(SessionContext ctx, MqttEndpoint endpoint) {
    this.ctx = ctx;
    this.endpoint = endpoint;
    this.version = endpoint.protocolVersion();
    endpoint.closeHandler(v -> {
      ctx.broker().connections().left();
      terminate(CloseReason.CONNECTION_LOST);
    });
    endpoint.exceptionHandler(this::onException);
  }

  String clientId() {
    return deviceId;
  }

  String sessionId() {
    return sessionId;
  }

  // ---- connect ------------------------------------------------------------------------------

  void connect(ConnectAuthenticator authenticator) {
    authenticator.authenticate(endpoint)
        .compose(device -> ctx.registry().takeOver(device.id()).map(device))
        .onSuccess(this::accept)
        .onFailure(this::refuse);
  }

  private void accept(Device device) {
    if (state != State.CONNECTING) return;
    deviceId = device.id();
    long now = ctx.clock().getAsLong();
    SessionStore store = ctx.registry().store();
    StoredSession restored = null;
    if (endpoint.isCleanSession()) store.discard(deviceId);
    else restored = store.take(deviceId, now);
    window = new OutboundWindow(Math.min(receiveMaximum(), SessionContext.MAX_IN_FLIGHT), SessionContext.MAX_QUEUED);
    endpoint.publishAutoAck(false);
    endpoint.subscriptionAutoAck(false);
    endpoint.publishHandler(this::onPublish);
    endpoint.publishReleaseHandler(this::onPublishRelease);
    endpoint.publishAcknowledgeHandler(this::onPublishAcknowledged);
    endpoint.subscribeHandler(this::onSubscribe);
    endpoint.unsubscribeHandler(this::onUnsubscribe);
    state = State.OPEN;
    // Own the client id before the client sees CONNACK: a client that reconnects at once must find
    // this session (to take it over) rather than nothing, and must not be taken over by it later.
    ctx.registry().register(this);
    ctx.metrics().connected();
    endpoint.accept(restored != null, connackProperties());
    if (restored != null) {
      subscriptions.putAll(restored.subscriptions());
      delivered.addAll(restored.delivered());
      for (Outgoing o : window.restore(restored.pending(), now)) write(o.topic(), o.payload(), 1, o.packetId(), true);
    }
    LOG.debug("device {} connected (MQTT {}, session {}{})", deviceId, version, sessionId,
        restored != null ? ", resumed" : "");
    announceOpened();
  }

  private void refuse(Throwable failure) {
    if (state != State.CONNECTING) return;
    state = State.CLOSED;
    ReasonCodes.ConnectRefusal refusal = failure instanceof ConnectAuthenticator.Refused r
        ? r.refusal() : ReasonCodes.ConnectRefusal.SERVER_UNAVAILABLE;
    ctx.metrics().refused("connect-" + refusal.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    LOG.info("CONNECT of '{}' refused: {}", endpoint.clientIdentifier(), failure.getMessage());
    try {
      endpoint.reject(ReasonCodes.connack(refusal, version));
    } catch (RuntimeException alreadyClosed) {
      // the client went away while its credentials were checked
    }
  }

  private void announceOpened() {
    JsonObject body = new JsonObject().put("op", "opened").put("deviceId", deviceId).put("sessionId", sessionId);
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(OPENED_TIMEOUT_MS);
    ctx.vertx().eventBus().<JsonObject>request(DeviceSignals.liveness(ctx.nodeId()), body, options)
        .onSuccess(reply -> {
          if (state != State.OPEN) return;
          onlineSeq = reply.body().getLong("seq", 0L);
          if (foreignOnlineSeq > onlineSeq) terminate(CloseReason.TAKEN_OVER_ELSEWHERE);
          else redeliverOpenAssignments();
        })
        .onFailure(failure -> {
          if (state != State.OPEN) return;
          int status = failure instanceof ReplyException re ? re.failureCode() : 500;
          if (status == 409) return; // a newer session of the device took over
          LOG.warn("device {} could not be made online: {}", deviceId, failure.getMessage());
          terminate(status == 404 ? CloseReason.DEVICE_REMOVED : CloseReason.SERVER_UNAVAILABLE);
        });
  }

  // ---- device -> center ---------------------------------------------------------------------

  private void onPublish(MqttPublishMessage msg) {
    if (state != State.OPEN) return;
    String topic = msg.topicName();
    if (!TopicFilter.isValidTopicName(topic)) {
      terminate(CloseReason.PROTOCOL_ERROR); // empty topic: topic aliases are not offered
      return;
    }
    int qos = msg.qosLevel().value();
    OwedAck ack = null;
    if (qos > 0) {
      ack = new OwedAck(msg.messageId(), qos);
      owed.add(ack);
      if (qos == 2 && awaitingRelease.contains(msg.messageId())) {
        settle(ack, true, MqttPubAckReasonCode.SUCCESS); // a resent QoS 2 message is handled once
        return;
      }
    }
    DeviceTopic parsed = DeviceTopic.parse(topic, deviceId);
    ctx.metrics().in(parsed == null ? "foreign" : parsed.kind().name().toLowerCase(Locale.ROOT));
    OwedAck a = ack;
    Future.succeededFuture().compose(v -> handle(parsed, msg)).onComplete(ar -> handled(a, topic, ar));
  }

  private Future<Void> handle(DeviceTopic topic, MqttPublishMessage msg) {
    if (topic == null) {
      throw new DeviceProtocolException(DeviceProtocolException.NOT_AUTHORIZED,
          "a device may publish under " + DeviceTopic.prefix(deviceId) + " only");
    }
    if (!topic.kind().fromDevice()) {
      throw new DeviceProtocolException(DeviceProtocolException.UNKNOWN_TOPIC,
          "devices publish on profile, telemetry and missions/{missionId}/status only");
    }
    JsonObject json = DevicePayloads.object(msg.payload(), ctx.config().maxMessageBytes());
    switch (topic.kind()) {
      case PROFILE: return profile(json);
      case TELEMETRY: return telemetry(json);
      default: return status(topic.missionId(), json);
    }
  }

  private Future<Void> profile(JsonObject json) {
    UpdateProfile update = DevicePayloads.profile(deviceId, json, ctx.clock().getAsLong());
    Future<Void> done = profileTail
        .transform(previous -> ctx.retry().run(() -> ctx.control().propose(update)))
        .compose(DeviceSession::accepted);
    profileTail = done;
    return done;
  }

  private Future<Void> telemetry(JsonObject json) {
    JsonObject signal = DevicePayloads.telemetry(deviceId, json, ctx.clock().getAsLong());
    ctx.vertx().eventBus().publish(DeviceSignals.TELEMETRY, signal, new DeliveryOptions().setLocalOnly(true));
    return Future.succeededFuture();
  }

  private Future<Void> status(String missionId, JsonObject json) {
    StatusReport report = DevicePayloads.status(deviceId, missionId, json);
    String key = key(missionId, report.attempt());
    if (report.status() == AttemptStatus.RUNNING && running.contains(key)) {
      if (report.progress() != null) {
        JsonObject progress = new JsonObject().put("missionId", missionId).put("deviceId", deviceId)
            .put("attempt", report.attempt()).put("progress", report.progress())
            .put("at", ctx.clock().getAsLong());
        ctx.vertx().eventBus().publish(DeviceSignals.PROGRESS, progress, new DeliveryOptions().setLocalOnly(true));
      }
      return Future.succeededFuture();
    }
    return ctx.statuses().submit(report).compose(result -> {
      JsonObject error = result.getJsonObject("error");
      if (error != null) {
        return Future.failedFuture(new DeviceProtocolException(error.getString("code", "refused"),
            error.getString("detail", "refused")));
      }
      if (report.status() == AttemptStatus.RUNNING) {
        running.add(key);
      } else if (report.status() != AttemptStatus.ACCEPTED) {
        running.remove(key);
        delivered.remove(key);
      }
      return Future.succeededFuture();
    });
  }

  private static Future<Void> accepted(Applied applied) {
    if (!applied.refused()) return Future.succeededFuture();
    JsonObject error = applied.reply().getJsonObject("error");
    return Future.failedFuture(new DeviceProtocolException(error.getString("code", "refused"),
        error.getString("detail", "refused")));
  }

  private void handled(OwedAck ack, String topic, AsyncResult<Void> result) {
    if (state != State.OPEN) return;
    if (result.succeeded()) {
      if (ack != null) settle(ack, true, MqttPubAckReasonCode.SUCCESS);
      return;
    }
    Throwable failure = result.cause();
    if (failure instanceof DeviceProtocolException refused) {
      ctx.metrics().refused(refused.code());
      sendError(topic, refused.code(), refused.getMessage());
      if (ack != null) settle(ack, true, ReasonCodes.puback(refused.code()));
    } else {
      // not acknowledged: the client sends it again and nothing acknowledged is lost
      LOG.warn("message of device {} on {} not applied: {}", deviceId, topic, failure.toString());
      ctx.metrics().refused(DeviceProtocolException.UNAVAILABLE);
      sendError(topic, DeviceProtocolException.UNAVAILABLE,
          "the control plane is unavailable; the message was not acknowledged, send it again");
      if (ack != null) settle(ack, false, null);
    }
  }

  /** Settles an owed acknowledgement and sends every settled one at the head, in order. */
  private void settle(OwedAck ack, boolean send, MqttPubAckReasonCode code) {
    ack.settled = true;
    ack.send = send;
    if (code != null) ack.code = code;
    while (!owed.isEmpty() && owed.peek().settled) {
      OwedAck head = owed.poll();
      if (!head.send || !endpoint.isConnected()) continue;
      try {
        if (head.qos == 2) {
          awaitingRelease.add(head.packetId);
          endpoint.publishReceived(head.packetId);
        } else if (version >= ReasonCodes.MQTT_5) {
          endpoint.publishAcknowledge(head.packetId, head.code, MqttProperties.NO_PROPERTIES);
        } else {
          endpoint.publishAcknowledge(head.packetId); // 3.1.1 cannot refuse: the errors topic says why
        }
      } catch (RuntimeException closing) {
        return;
      }
    }
  }

  private void onPublishRelease(int packetId) {
    awaitingRelease.remove(packetId);
    if (endpoint.isConnected()) endpoint.publishComplete(packetId);
  }

  // ---- subscriptions ------------------------------------------------------------------------

  private void onSubscribe(MqttSubscribeMessage msg) {
    if (state != State.OPEN) return;
    List<MqttSubAckReasonCode> codes = new ArrayList<>();
    Map<String, SubscribeRefusal> refused = new LinkedHashMap<>();
    boolean assignments = false;
    for (MqttTopicSubscription sub : msg.topicSubscriptions()) {
      String filter = sub.topicName();
      SubscribeRefusal refusal = subscribeRefusal(filter);
      if (refusal == null) {
        int qos = Math.min(sub.qualityOfService().value(), 1);
        subscriptions.put(filter, qos);
        codes.add(MqttSubAckReasonCode.qosGranted(MqttQoS.valueOf(qos)));
        assignments |= TopicFilter.matches(filter, DeviceTopic.assign(deviceId));
      } else {
        codes.add(ReasonCodes.suback(refusal, version));
        refused.put(filter, refusal);
      }
    }
    if (version >= ReasonCodes.MQTT_5) {
      endpoint.subscribeAcknowledge(msg.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      List<MqttQoS> granted = new ArrayList<>();
      for (MqttSubAckReasonCode c : codes) granted.add(ReasonCodes.subackV3(c));
      endpoint.subscribeAcknowledge(msg.messageId(), granted);
    }
    refused.forEach((filter, refusal) -> {
      String code = refusal == SubscribeRefusal.NOT_AUTHORIZED ? DeviceProtocolException.NOT_AUTHORIZED
          : refusal == SubscribeRefusal.SHARED_NOT_SUPPORTED ? "not-supported" : "invalid-filter";
      ctx.metrics().refused("subscribe-" + code);
      sendError(filter, code, refusal == SubscribeRefusal.NOT_AUTHORIZED
          ? "a device may subscribe under " + DeviceTopic.prefix(deviceId) + " only"
          : refusal == SubscribeRefusal.SHARED_NOT_SUPPORTED ? "shared subscriptions are not supported"
          : "not a valid topic filter");
    });
    if (assignments) redeliverOpenAssignments();
  }

  private SubscribeRefusal subscribeRefusal(String filter) {
    if (filter.startsWith("$share/")) return SubscribeRefusal.SHARED_NOT_SUPPORTED;
    if (!TopicFilter.isValidFilter(filter)) return SubscribeRefusal.FILTER_INVALID;
    String[] levels = filter.split("/", -1);
    boolean own = levels.length >= 3 && levels[0].equals(DeviceTopic.ROOT) && levels[1].equals(deviceId);
    return own ? null : SubscribeRefusal.NOT_AUTHORIZED;
  }

  private void onUnsubscribe(MqttUnsubscribeMessage msg) {
    if (state != State.OPEN) return;
    List<MqttUnsubAckReasonCode> codes = new ArrayList<>();
    for (String filter : msg.topics()) {
      codes.add(subscriptions.remove(filter) != null ? MqttUnsubAckReasonCode.SUCCESS
          : MqttUnsubAckReasonCode.NO_SUBSCRIPTION_EXISTED);
    }
    if (version >= ReasonCodes.MQTT_5) {
      endpoint.unsubscribeAcknowledge(msg.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      endpoint.unsubscribeAcknowledge(msg.messageId());
    }
  }

  // ---- center -> device ---------------------------------------------------------------------

  /** Delivers an assignment of this device unless this session already delivered that attempt. */
  void assign(Mission mission) {
    if (state != State.OPEN || !deviceId.equals(mission.deviceId()) || !mission.state().active()) return;
    String key = key(mission.id(), mission.attempt());
    if (delivered.contains(key)) return;
    JsonObject body = new JsonObject().put("missionId", mission.id()).put("attempt", mission.attempt())
        .put("type", mission.type())
        .put("payload", mission.payload() == null ? new JsonObject() : mission.payload())
        .put("timeoutSec", mission.timeoutSec());
    if (deliver(DeviceTopic.assign(deviceId), body.encode(), 1, "assign")) delivered.add(key);
  }

  /** Tells the device to stop an attempt the center ended. */
  void cancel(String missionId, int attempt, String reason) {
    if (state != State.OPEN) return;
    String key = key(missionId, attempt);
    delivered.remove(key);
    running.remove(key);
    JsonObject body = new JsonObject().put("attempt", attempt).put("reason", reason);
    deliver(DeviceTopic.cancel(deviceId, missionId), body.encode(), 1, "cancel");
  }

  /** The device came online on another node, at event {@code seq}. */
  void foreignOnline(long seq) {
    if (state != State.OPEN) return;
    if (onlineSeq >= 0 && seq > onlineSeq) terminate(CloseReason.TAKEN_OVER_ELSEWHERE);
    else if (onlineSeq < 0) foreignOnlineSeq = Math.max(foreignOnlineSeq, seq);
  }

  /**
   * The device went offline at event {@code seq} although this session is open: the cluster lost
   * sight of this node for longer than the grace period. The session announces itself again.
   */
  void offlineElsewhere(long seq) {
    if (state != State.OPEN || onlineSeq < 0 || seq <= onlineSeq) return;
    LOG.info("device {} was taken offline while its session here is open; announcing it again", deviceId);
    onlineSeq = -1;
    announceOpened();
  }

  /** MQTT 3.1.1: sends unacknowledged QoS 1 messages again (MQTT 5 resends on reconnect only). */
  void resendDue(long now) {
    if (state != State.OPEN || version >= ReasonCodes.MQTT_5) return;
    for (Outgoing o : window.due(now - SessionContext.RESEND_AFTER_MS, now)) {
      write(o.topic(), o.payload(), 1, o.packetId(), true);
    }
  }

  private void redeliverOpenAssignments() {
    if (state != State.OPEN || onlineSeq < 0 || grantedQos(DeviceTopic.assign(deviceId)) < 0) return;
    ctx.control().openAssignments(deviceId)
        .onSuccess(missions -> missions.forEach(this::assign))
        .onFailure(t -> LOG.warn("open assignments of {} not re-delivered: {}", deviceId, t.getMessage()));
  }

  private void sendError(String topic, String code, String message) {
    JsonObject body = new JsonObject().put("topic", topic)
        .put("error", new JsonObject().put("code", code).put("message", message));
    deliver(DeviceTopic.errors(deviceId), body.encode(), 0, "errors");
  }

  /** Sends to the client if it subscribed to a matching filter; false when it did not. */
  private boolean deliver(String topic, String payload, int qos, String kind) {
    int granted = grantedQos(topic);
    if (state != State.OPEN || granted < 0) return false;
    ctx.metrics().out(kind);
    if (Math.min(qos, granted) == 0) {
      write(topic, payload, 0, 0, false);
      return true;
    }
    Outgoing o = window.offer(topic, payload, ctx.clock().getAsLong());
    if (o != null) write(o.topic(), o.payload(), 1, o.packetId(), false);
    return true;
  }

  private void onPublishAcknowledged(int packetId) {
    for (Outgoing o : window.acknowledged(packetId, ctx.clock().getAsLong())) {
      write(o.topic(), o.payload(), 1, o.packetId(), false);
    }
  }

  private int grantedQos(String topic) {
    int best = -1;
    for (Map.Entry<String, Integer> s : subscriptions.entrySet()) {
      if (s.getValue() > best && TopicFilter.matches(s.getKey(), topic)) best = s.getValue();
    }
    return best;
  }

  private void write(String topic, String payload, int qos, int packetId, boolean dup) {
    if (!endpoint.isConnected()) return;
    try {
      endpoint.publish(topic, Buffer.buffer(payload), MqttQoS.valueOf(qos), dup, false, packetId);
    } catch (RuntimeException closing) {
      LOG.debug("publish to {} dropped: {}", deviceId, closing.getMessage());
    }
  }

  // ---- close --------------------------------------------------------------------------------

  private void onException(Throwable t) {
    CloseReason reason = ReasonCodes.closeReasonOf(t);
    if (reason == CloseReason.INTERNAL_ERROR) LOG.warn("connection of {} failed", deviceId, t);
    if (reason != CloseReason.CONNECTION_LOST) {
      ctx.metrics().refused(reason.name().toLowerCase(Locale.ROOT).replace('_', '-'));
      LOG.info("closing connection of '{}': {} ({})", endpoint.clientIdentifier(), reason, t.getMessage());
    }
    terminate(reason);
  }

  /** Ends the session for {@code reason}; the one way every session ends. Idempotent. */
  void terminate(CloseReason reason) {
    if (state == State.CLOSED) return;
    boolean wasOpen = state == State.OPEN;
    state = State.CLOSED;
    if (wasOpen) {
      SessionStore store = ctx.registry().store();
      long expiry = sessionExpiryMs();
      // Kept before the client id is released: a new connection that finds no owner finds the session.
      if (expiry > 0 && ReasonCodes.keepsSession(reason)) {
        long now = ctx.clock().getAsLong();
        long expiresAt = expiry == Long.MAX_VALUE ? Long.MAX_VALUE : now + expiry;
        store.keep(new StoredSession(deviceId, subscriptions, window.pending(), delivered, expiresAt));
      } else if (!ReasonCodes.keepsSession(reason)) {
        store.discard(deviceId);
      }
      ctx.registry().unregister(this);
      ctx.metrics().disconnected();
      JsonObject closed = new JsonObject().put("op", "closed").put("deviceId", deviceId)
          .put("sessionId", sessionId).put("takenOver", ReasonCodes.takenOver(reason));
      ctx.vertx().eventBus().send(DeviceSignals.liveness(ctx.nodeId()), closed, new DeliveryOptions().setLocalOnly(true));
      LOG.debug("device {} session {} closed: {}", deviceId, sessionId, reason);
    }
    if (reason == CloseReason.CONNECTION_LOST && !endpoint.isConnected()) return;
    try {
      MqttDisconnectReasonCode code = ReasonCodes.disconnect(reason);
      if (code != null && version >= ReasonCodes.MQTT_5 && endpoint.isConnected()) {
        endpoint.disconnect(code, MqttProperties.NO_PROPERTIES);
      } else {
        endpoint.close();
      }
    } catch (RuntimeException alreadyClosed) {
      // closed by the peer in the meantime
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static String key(String missionId, int attempt) {
    return missionId + "#" + attempt;
  }

  /** How long the session outlives the connection: 0 none, {@link Long#MAX_VALUE} forever. */
  private long sessionExpiryMs() {
    if (version < ReasonCodes.MQTT_5) return endpoint.isCleanSession() ? 0 : Long.MAX_VALUE;
    MqttProperties.MqttProperty<?> p = endpoint.connectProperties()
        .getProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value());
    if (p == null) return 0;
    long seconds = Integer.toUnsignedLong((Integer) p.value());
    return seconds == 0xFFFFFFFFL ? Long.MAX_VALUE : seconds * 1000;
  }

  private int receiveMaximum() {
    if (version < ReasonCodes.MQTT_5) return SessionContext.MAX_IN_FLIGHT;
    MqttProperties.MqttProperty<?> p = endpoint.connectProperties()
        .getProperty(MqttPropertyType.RECEIVE_MAXIMUM.value());
    return p == null ? 65535 : (Integer) p.value();
  }

  private MqttProperties connackProperties() {
    if (version < ReasonCodes.MQTT_5) return MqttProperties.NO_PROPERTIES;
    MqttProperties props = new MqttProperties();
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE.value(), 0));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.MAXIMUM_PACKET_SIZE.value(),
        ctx.config().maxPacketBytes()));
    return props;
  }
}
