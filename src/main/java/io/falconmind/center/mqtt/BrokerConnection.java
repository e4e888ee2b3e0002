package io.falconmind.center.mqtt;

import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.vertx.core.internal.buffer.BufferInternal;
import io.falconmind.center.broker.Broker;
import io.falconmind.center.broker.BrokerAccess;
import io.falconmind.center.broker.BrokerSession;
import io.falconmind.center.broker.LiveConnections;
import io.falconmind.center.broker.Publication;
import io.falconmind.center.broker.Subscription;
import io.falconmind.center.mqtt.ReasonCodes.CloseReason;
import io.falconmind.center.mqtt.ReasonCodes.ConnectRefusal;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.MqttPubRecMessage;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttUnsubAckReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One connection of a broker client (any MQTT client that is not a device), from CONNECT to
 * close: authentication, session takeover and resumption, PUBLISH in (topic aliases, ACL, QoS 1
 * and 2 with duplicate detection), SUBSCRIBE/UNSUBSCRIBE, and the wire side of its session
 * ({@link BrokerSession.Wire}). Runs on its endpoint's context; {@link #takeOver()} and the
 * session's writes are posted there.
 */
final class BrokerConnection implements LiveConnections.Live, BrokerSession.Wire {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerConnection.class);
  private static final long NEVER = 0xFFFFFFFFL;

  private enum State {
    CONNECTING, OPEN, CLOSED
  }

  private final Broker broker;
  private final int maxPacketBytes;
  private final MqttEndpoint endpoint;
  private final Context context;
  private final Vertx vertx;
  private final int version;
  private final boolean v5;
  private State state = State.CONNECTING;
  private String clientId;
  private String username;
  private BrokerSession session;
  private Publication will;
  private long willDelaySec;
  private boolean normalDisconnect;
  private int clientMaxPacket = Integer.MAX_VALUE;
  private final Map<Integer, String> topicAliases = new HashMap<>();
  /** QoS 1/2 acknowledgements waiting for earlier ones (or for their publication to be safe). */
  private final java.util.ArrayDeque<PendingAck> acks = new java.util.ArrayDeque<>();

  private record PendingAck(Future<Void> safe, int qos, int packetId, MqttPubAckReasonCode refusal) {
  }
  /** QoS 1 publications in {@link #acks}: with those awaiting PUBREL, what counts against the Receive Maximum. */
  private int unackedQos1;
  /**
   * The connection: paused while {@link #acks} fills the inflight window (3.1.1 clients, which have
   * no Receive Maximum), written to in batches, closed after a DISCONNECT so the client reads it.
   */
  private final EndpointSocket socket;
  /** The connection's pipeline failed (a malformed or oversize packet): Vert.x closes it. */
  private boolean pipelineFailed;
  private long rateWindowStart;
  private int rateCount;

  BrokerConnection(Broker broker, int maxPacketBytes, MqttEndpoint endpoint, Vertx vertx) {
    this.broker = broker;
    this.maxPacketBytes = maxPacketBytes;
    this.endpoint = endpoint;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.version = endpoint.protocolVersion();
    this.v5 = version >= ReasonCodes.MQTT_5;
    this.socket = EndpointSocket.of(endpoint);
    endpoint.closeHandler(v -> terminate(CloseReason.CONNECTION_LOST));
    endpoint.exceptionHandler(this::onException);
  }

  @Override
  public Context context() {
    return context;
  }

  // ---- connect ------------------------------------------------------------------------------

  void connect() {
    String requested = endpoint.clientIdentifier();
    boolean assigned = requested == null || requested.isEmpty();
    clientId = assigned ? "auto-" + UUID.randomUUID() : requested;
    if (assigned) endpoint.setClientIdentifier(clientId);
    authenticate()
        .compose(v -> broker.takeOver(clientId, this, endpoint.isCleanSession()))
        .onSuccess(v -> accept(assigned))
        .onFailure(this::refuse);
  }

  private Future<Void> authenticate() {
    BrokerAccess access = broker.access();
    if (endpoint.auth() == null) {
      return access.allowAnonymous() ? Future.succeededFuture()
          : Future.failedFuture(new ConnectAuthenticator.Refused(ConnectRefusal.NOT_AUTHORIZED, "anonymous clients are not allowed"));
    }
    String user = endpoint.auth().getUsername();
    byte[] password = endpoint.auth().getPassword().getBytes(StandardCharsets.UTF_8);
    return vertx.executeBlocking(() -> access.passwordMatches(user, password), false)
        .compose(ok -> {
          if (!ok) return Future.failedFuture(new ConnectAuthenticator.Refused(ConnectRefusal.BAD_TOKEN, "wrong password for " + user));
          username = user;
          return Future.succeededFuture();
        });
  }

  private void accept(boolean assignedId) {
    if (state != State.CONNECTING) {
      broker.released(clientId, this);
      return;
    }
    long expiry = sessionExpiry();
    Broker.Opened opened = broker.open(clientId, endpoint.isCleanSession(), expiry);
    session = opened.session();
    clientMaxPacket = clientMaximumPacketSize();
    will = willOf(endpoint.will());
    endpoint.publishAutoAck(false);
    endpoint.subscriptionAutoAck(false);
    endpoint.publishHandler(this::onPublish);
    endpoint.publishReleaseHandler(this::onPublishRelease);
    endpoint.publishAcknowledgeHandler(id -> session.acknowledged(id));
    endpoint.publishReceivedMessageHandler(this::onPublishReceived);
    endpoint.publishCompletionHandler(id -> session.completed(id));
    endpoint.subscribeHandler(this::onSubscribe);
    endpoint.unsubscribeHandler(this::onUnsubscribe);
    endpoint.disconnectMessageHandler(this::onDisconnect);
    endpoint.disconnectHandler(v -> {
      if (!v5) normalDisconnect = true;
    });
    state = State.OPEN;
    endpoint.accept(opened.present(), connackProperties(assignedId, expiry));
    broker.stats().connected(1);
    session.attach(this, receiveMaximum());
    LOG.debug("broker client {} connected (MQTT {}, session present {})", clientId, version, opened.present());
  }

  private void refuse(Throwable failure) {
    ConnectRefusal refusal = failure instanceof ConnectAuthenticator.Refused r ? r.refusal() : ConnectRefusal.SERVER_UNAVAILABLE;
    LOG.info("MQTT client '{}' refused: {}", clientId, failure.getMessage());
    broker.stats().refused();
    broker.released(clientId, this);
    if (state != State.CONNECTING) return;
    state = State.CLOSED;
    broker.connections().left();
    try {
      endpoint.reject(ReasonCodes.connack(refusal, version));
    } catch (RuntimeException closed) {
      // the client went away first
    }
  }

  /** The session expiry the client asked for, in seconds (0 when it did not ask). */
  private long requestedExpiry() {
    Integer seconds = connectProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL);
    return seconds == null ? 0 : Integer.toUnsignedLong(seconds);
  }

  /** How long the session outlives the connection: 3.1.1 by clean session, MQTT 5 as asked; at most the maximum. */
  private long sessionExpiry() {
    long max = broker.config().maxSessionExpirySec();
    if (!v5) return endpoint.isCleanSession() ? 0 : max;
    long requested = requestedExpiry();
    return Math.min(requested == NEVER ? max : requested, max);
  }

  private int receiveMaximum() {
    int max = broker.config().maxInflight();
    Integer asked = v5 ? connectProperty(MqttPropertyType.RECEIVE_MAXIMUM) : null;
    return asked == null ? max : Math.min(max, asked);
  }

  private int clientMaximumPacketSize() {
    Integer asked = v5 ? connectProperty(MqttPropertyType.MAXIMUM_PACKET_SIZE) : null;
    return asked == null ? Integer.MAX_VALUE : asked;
  }

  private Integer connectProperty(MqttPropertyType type) {
    MqttProperties.MqttProperty<?> p = endpoint.connectProperties().getProperty(type.value());
    return p == null ? null : (Integer) p.value();
  }

  private MqttProperties connackProperties(boolean assignedId, long expiry) {
    if (!v5) return MqttProperties.NO_PROPERTIES;
    MqttProperties props = new MqttProperties();
    if (assignedId) props.add(new MqttProperties.StringProperty(MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value(), clientId));
    if (expiry != requestedExpiry()) {
      props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), (int) expiry));
    }
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.RECEIVE_MAXIMUM.value(), broker.config().maxInflight()));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value(), broker.config().topicAliasMaximum()));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.MAXIMUM_PACKET_SIZE.value(), maxPacketBytes));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.RETAIN_AVAILABLE.value(), 1));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.WILDCARD_SUBSCRIPTION_AVAILABLE.value(), 1));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SUBSCRIPTION_IDENTIFIER_AVAILABLE.value(), 1));
    props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE.value(), 1));
    int serverKeepAlive = broker.config().serverKeepAliveSec();
    int keepAlive = endpoint.keepAliveTimeSeconds();
    if (serverKeepAlive > 0 && (keepAlive == 0 || keepAlive > serverKeepAlive)) {
      props.add(new MqttProperties.IntegerProperty(MqttPropertyType.SERVER_KEEP_ALIVE.value(), serverKeepAlive));
    }
    return props;
  }

  private Publication willOf(MqttWill w) {
    if (w == null || !w.isWillFlag()) return null;
    MqttProperties props = w.getWillProperties() == null ? MqttProperties.NO_PROPERTIES : w.getWillProperties();
    MqttProperties.MqttProperty<?> delay = props.getProperty(MqttPropertyType.WILL_DELAY_INTERVAL.value());
    willDelaySec = delay == null ? 0 : Integer.toUnsignedLong((Integer) delay.value());
    Buffer payload = w.getWillMessage() == null ? Buffer.buffer() : w.getWillMessage();
    return new Publication(w.getWillTopic(), payload, w.getWillQos(), w.isWillRetain(), PublishProperties.forwarded(props),
        PublishProperties.expiresAt(props), clientId);
  }

  // ---- inbound ------------------------------------------------------------------------------

  private void onPublish(MqttPublishMessage m) {
    if (state != State.OPEN) return;
    if (overRate()) {
      terminate(CloseReason.MESSAGE_RATE_TOO_HIGH);
      return;
    }
    String topic = m.topicName();
    if (v5) {
      MqttProperties.MqttProperty<?> alias = m.properties().getProperty(MqttPropertyType.TOPIC_ALIAS.value());
      if (alias != null) {
        int a = (Integer) alias.value();
        if (a == 0 || a > broker.config().topicAliasMaximum()) {
          terminate(CloseReason.TOPIC_ALIAS_INVALID);
          return;
        }
        if (topic == null || topic.isEmpty()) {
          topic = topicAliases.get(a);
          if (topic == null) {
            terminate(CloseReason.PROTOCOL_ERROR);
            return;
          }
        } else {
          topicAliases.put(a, topic);
        }
      }
    }
    if (!TopicFilter.isValidTopicName(topic)) {
      terminate(CloseReason.TOPIC_NAME_INVALID);
      return;
    }
    int qos = m.qosLevel().value();
    int packetId = m.messageId();
    if (qos == 2 && !session.receivedQos2(packetId)) {
      // a duplicate of a message already taken: acknowledge again, route once
      acknowledgeWhen(Future.succeededFuture(), qos, packetId, null);
      return;
    }
    // MQTT 5 counts QoS 1 until PUBACK and QoS 2 until PUBCOMP against the Receive Maximum (this one
    // included); a 3.1.1 client is held back by flow control instead, and only QoS 2 awaiting release is capped
    int unacknowledged = v5 ? unackedQos1 + session.awaitingRelease() + (qos == 1 ? 1 : 0)
        : qos == 2 ? session.awaitingRelease() : 0;
    if (qos > 0 && unacknowledged > broker.config().maxInflight()) {
      terminate(CloseReason.RECEIVE_MAXIMUM_EXCEEDED);
      return;
    }
    MqttPubAckReasonCode refusal = null;
    if (!broker.access().allows(clientId, username, BrokerAccess.Access.WRITE, topic)) {
      refusal = MqttPubAckReasonCode.NOT_AUTHORIZED;
    } else if (v5 && PublishProperties.utf8Declared(m.properties()) && !PublishProperties.validUtf8(m.payload())) {
      refusal = MqttPubAckReasonCode.PAYLOAD_FORMAT_INVALID;
    }
    Future<Void> safe = Future.succeededFuture();
    if (refusal == null) {
      broker.stats().received(m.payload().length());
      safe = broker.publish(new Publication(topic, m.payload(), qos, m.isRetain(), PublishProperties.forwarded(m.properties()),
          PublishProperties.expiresAt(m.properties()), clientId));
    } else {
      LOG.debug("publish of {} to '{}' refused: {}", clientId, topic, refusal);
    }
    acknowledgeWhen(safe, qos, packetId, refusal);
  }

  /**
   * Acknowledges a QoS 1/2 publication once {@code safe} completes, in the order the
   * publications came (MQTT-4.6.0-2, -3). When it fails, an MQTT 5 client gets reason 0x80; a
   * 3.1.1 client, which has no such reason, is disconnected so that it sends the message again.
   */
  private void acknowledgeWhen(Future<Void> safe, int qos, int packetId, MqttPubAckReasonCode refusal) {
    if (qos == 0) return;
    if (acks.isEmpty() && safe.isComplete()) {
      acknowledge(qos, packetId, safe, refusal);
      return;
    }
    acks.add(new PendingAck(safe, qos, packetId, refusal));
    if (qos == 1) unackedQos1++;
    safe.onComplete(done -> context().runOnContext(v -> sendReadyAcks()));
    // an MQTT 5 client keeps within the Receive Maximum; a 3.1.1 client is not read until there is room
    if (!v5 && acks.size() >= broker.config().maxInflight() && socket.pause()) broker.stats().publisherPaused();
  }

  private void sendReadyAcks() {
    while (!acks.isEmpty() && acks.peek().safe().isComplete()) {
      PendingAck a = acks.poll();
      if (a.qos() == 1) unackedQos1--;
      acknowledge(a.qos(), a.packetId(), a.safe(), a.refusal());
    }
    if (socket.paused() && acks.size() <= broker.config().maxInflight() / 2) socket.resume();
  }

  private void acknowledge(int qos, int packetId, Future<Void> safe, MqttPubAckReasonCode refusal) {
    if (!endpoint.isConnected()) return;
    if (safe.failed()) {
      LOG.warn("publication of {} (packet {}) could not be made safe: {}", clientId, packetId, safe.cause().toString());
      if (!v5) {
        terminate(CloseReason.SERVER_UNAVAILABLE);
        return;
      }
      refusal = MqttPubAckReasonCode.UNSPECIFIED_ERROR;
    }
    acknowledge(qos, packetId, refusal);
  }

  private void acknowledge(int qos, int packetId, MqttPubAckReasonCode refusal) {
    if (qos == 1) {
      if (refusal != null && v5) {
        endpoint.publishAcknowledge(packetId, refusal, MqttProperties.NO_PROPERTIES);
      } else {
        endpoint.publishAcknowledge(packetId);
      }
    } else if (qos == 2) {
      if (refusal != null && v5) {
        session.released(packetId);
        endpoint.publishReceived(packetId, MqttPubRecReasonCode.valueOf(refusal.value()), MqttProperties.NO_PROPERTIES);
      } else {
        endpoint.publishReceived(packetId);
      }
    }
  }

  private void onPublishRelease(int packetId) {
    session.released(packetId);
    endpoint.publishComplete(packetId);
  }

  private void onPublishReceived(MqttPubRecMessage m) {
    if ((m.code().value() & 0xff) >= 0x80) {
      session.refused(m.messageId());
      return;
    }
    session.received(m.messageId());
    // also for an unknown packet id: the client must get its PUBREL to finish (MQTT 5: 0x92 is not encodable here)
    endpoint.publishRelease(m.messageId());
  }

  private void onSubscribe(MqttSubscribeMessage m) {
    MqttProperties.MqttProperty<?> idProperty = m.properties().getProperty(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value());
    int identifier = idProperty == null ? 0 : (Integer) idProperty.value();
    List<MqttSubAckReasonCode> codes = new ArrayList<>();
    List<Subscription> granted = new ArrayList<>();
    for (MqttTopicSubscription t : m.topicSubscriptions()) {
      String text = t.topicName();
      String group = null;
      String filter = text;
      if (text.startsWith("$share/")) {
        int slash = text.indexOf('/', 7);
        group = slash < 0 ? "" : text.substring(7, slash);
        filter = slash < 0 ? "" : text.substring(slash + 1);
        if (group.isEmpty() || group.contains("+") || group.contains("#")) {
          codes.add(subackRefusal(MqttSubAckReasonCode.TOPIC_FILTER_INVALID));
          continue;
        }
        if (v5 && t.subscriptionOption().isNoLocal()) {
          terminate(CloseReason.PROTOCOL_ERROR);
          return;
        }
      }
      if (!TopicFilter.isValidFilter(filter)) {
        codes.add(subackRefusal(MqttSubAckReasonCode.TOPIC_FILTER_INVALID));
        continue;
      }
      if (!broker.access().allows(clientId, username, BrokerAccess.Access.READ, filter)) {
        codes.add(subackRefusal(MqttSubAckReasonCode.NOT_AUTHORIZED));
        continue;
      }
      int qos = Math.min(2, t.qualityOfService().value());
      var option = t.subscriptionOption();
      granted.add(new Subscription(filter, group, qos, v5 && option.isNoLocal(), v5 && option.isRetainAsPublished(),
          v5 ? option.retainHandling().value() : 0, identifier));
      codes.add(MqttSubAckReasonCode.qosGranted(MqttQoS.valueOf(qos)));
    }
    // in force before the SUBACK can reach the client: a message published once it has the SUBACK
    // must match (the SUBACK is not always held back until the end of this read). Retained messages
    // still follow the SUBACK: offered to the session, they are written by a task that runs after this.
    for (Subscription s : granted) broker.subscribe(session, s);
    if (v5) {
      endpoint.subscribeAcknowledge(m.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      List<MqttQoS> qos = new ArrayList<>();
      for (MqttSubAckReasonCode c : codes) qos.add(ReasonCodes.subackV3(c));
      endpoint.subscribeAcknowledge(m.messageId(), qos);
    }
  }

  private MqttSubAckReasonCode subackRefusal(MqttSubAckReasonCode code) {
    return v5 ? code : MqttSubAckReasonCode.UNSPECIFIED_ERROR;
  }

  private void onUnsubscribe(MqttUnsubscribeMessage m) {
    List<MqttUnsubAckReasonCode> codes = new ArrayList<>();
    for (String key : m.topics()) {
      boolean existed = broker.unsubscribe(session, key);
      codes.add(existed ? MqttUnsubAckReasonCode.SUCCESS : MqttUnsubAckReasonCode.NO_SUBSCRIPTION_EXISTED);
    }
    if (v5) {
      endpoint.unsubscribeAcknowledge(m.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      endpoint.unsubscribeAcknowledge(m.messageId());
    }
  }

  private void onDisconnect(MqttDisconnectMessage m) {
    normalDisconnect = m.code() != MqttDisconnectReasonCode.WITH_WILL_MESSAGE
        && (m.code().value() & 0xff) < 0x80;
    MqttProperties.MqttProperty<?> expiry = m.properties().getProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value());
    if (expiry != null && session != null) {
      long requested = Integer.toUnsignedLong((Integer) expiry.value());
      long max = broker.config().maxSessionExpirySec();
      if (session.expirySec() == 0 && requested != 0) {
        terminate(CloseReason.PROTOCOL_ERROR);
        return;
      }
      session.expirySec(Math.min(requested == NEVER ? max : requested, max));
    }
  }

  private boolean overRate() {
    int max = broker.config().maxPublishRate();
    if (max <= 0) return false;
    long now = System.nanoTime();
    if (now - rateWindowStart >= 1_000_000_000L) {
      rateWindowStart = now;
      rateCount = 0;
    }
    return ++rateCount > max;
  }

  // ---- outbound (BrokerSession.Wire) ---------------------------------------------------------

  @Override
  public void publish(BrokerSession.Outgoing message, int packetId, boolean dup) {
    if (!endpoint.isConnected()) return;
    if (message.qos() == 0 && socket.pendingBytes() > broker.config().maxPendingBytes()) {
      // the client does not keep up (mqtt.maxPendingBytes): QoS 0 may be lost, memory may not
      broker.stats().dropped();
      return;
    }
    Publication p = message.publication();
    MqttProperties props = MqttProperties.NO_PROPERTIES;
    if (v5) {
      props = PublishProperties.outgoingProperties(p, message.identifiers());
      if (PacketSize.publish(p.topic(), p.payload().length(), message.qos(), props, true) > clientMaxPacket) {
        // larger than the client accepts: discarded as if delivered (MQTT 5 §3.1.2.11.4)
        broker.stats().dropped();
        if (packetId > 0) session.abandoned(packetId);
        return;
      }
    }
    try {
      MqttQoS qos = MqttQoS.valueOf(message.qos());
      if (socket.canWriteBatched()) {
        // the payload is shared, not copied: a buffer of its own per write, over the same bytes
        socket.writeBatched(MqttMessageFactory.newMessage(
            new MqttFixedHeader(MqttMessageType.PUBLISH, dup, qos, message.retain(), 0),
            new MqttPublishVariableHeader(p.topic(), packetId, props), ((BufferInternal) p.payload()).getByteBuf()));
      } else {
        endpoint.publish(p.topic(), p.payload(), qos, dup, message.retain(), packetId, props);
      }
      broker.stats().sent(p.payload().length());
    } catch (RuntimeException closing) {
      LOG.debug("publish to {} dropped: {}", clientId, closing.getMessage());
    }
  }

  @Override
  public void release(int packetId) {
    if (endpoint.isConnected()) endpoint.publishRelease(packetId);
  }

  // ---- takeover and close -------------------------------------------------------------------

  @Override
  public Future<Void> takeOver() {
    terminate(CloseReason.TAKEN_OVER);
    return Future.succeededFuture();
  }

  private void onException(Throwable t) {
    CloseReason reason = ReasonCodes.closeReasonOf(t);
    if (reason == CloseReason.INTERNAL_ERROR) LOG.warn("connection of broker client {} failed", clientId, t);
    if (reason != CloseReason.CONNECTION_LOST) LOG.info("closing connection of '{}': {} ({})", clientId, reason, t.getMessage());
    pipelineFailed = true;
    terminate(reason);
  }

  /** Ends the connection for {@code reason}; the one way every connection ends. Idempotent. */
  private void terminate(CloseReason reason) {
    if (state == State.CLOSED) return;
    boolean wasOpen = state == State.OPEN;
    state = State.CLOSED;
    broker.connections().left();
    broker.released(clientId, this);
    if (wasOpen) {
      broker.stats().connected(-1);
      broker.closed(session, this, normalDisconnect ? null : will, willDelaySec);
      LOG.debug("broker client {} closed: {}", clientId, reason);
    }
    if (reason == CloseReason.CONNECTION_LOST && !endpoint.isConnected()) return;
    try {
      MqttDisconnectReasonCode code = ReasonCodes.disconnect(reason);
      if (code != null && v5 && endpoint.isConnected()) {
        // the client reads the reason even while it is still sending; after a pipeline failure
        // Vert.x closes the channel at once, so the DISCONNECT is sent as vertx-mqtt sends it
        if (pipelineFailed || !socket.disconnectAndLinger(code)) endpoint.disconnect(code, MqttProperties.NO_PROPERTIES);
      } else {
        endpoint.close();
      }
    } catch (RuntimeException alreadyClosed) {
      // closed by the peer in the meantime
    }
  }
}
