package io.falconmind.center.mqtt;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.broker.Broker;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.mqtt.MqttAuth;
import io.vertx.mqtt.MqttEndpoint;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.PersistedEvents;
import io.falconmind.center.device.ProposalRetry;
import io.falconmind.center.device.StatusBatcher;
import io.falconmind.center.mqtt.ReasonCodes.CloseReason;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of the MQTT server of a node on {@code mqtt.host:port} (MQTT 3.1.1 and 5): device
 * protocol v1 for devices, and the node's {@link Broker} for every other client. Deploy {@code mqtt.instances} instances (0 = one per core) with
 * {@code deployVerticle(() -> new MqttVerticle(nodeId, config.mqtt(), registry), options)}, after
 * the node's single {@code DeviceVerticle}; Vert.x spreads the connections over the instances, each
 * keeps its connections on its own event loop.
 *
 * <p>Each instance consumes {@link ControlClient#PERSISTED} locally and acts only for the sessions
 * it holds; it batches the status reports of its sessions into one {@code ReportStatuses} per
 * flush. Undeploying closes its connections (MQTT 5: DISCONNECT 0x8B server shutting down) without
 * waiting for the grace period to be over.
 */
public final class MqttVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(MqttVerticle.class);

  /** Longest client id accepted by the decoder; device ids have at most 64 characters. */
  static final int MAX_CLIENT_ID = 256;
  /** Most status reports in one proposal. */
  static final int MAX_STATUS_BATCH = 500;
  private static final long RESEND_CHECK_MS = 5_000;
  /** Local map where the instances publish the port actually bound ({@code "tcp"}), for the WebSocket bridge. */
  public static final String PORTS = "center.mqtt.ports";

  private final String nodeId;
  private final CenterConfig.Mqtt config;
  private final MeterRegistry registry;
  private final Broker broker;
  private MqttServer server;
  private MqttServer tlsServer;
  private SessionRegistry sessions;

  /**
   * @param nodeId   id of this node, as in {@code DeviceConnected}
   * @param config   the {@code mqtt} section
   * @param broker   the node's broker (shared by its instances): serves every client that is not a device
   * @param registry where the {@code center_mqtt_*} meters go
   */
  public MqttVerticle(String nodeId, CenterConfig.Mqtt config, Broker broker, MeterRegistry registry) {
    this.nodeId = nodeId;
    this.config = config;
    this.broker = broker;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    ControlClient control = new ControlClient(vertx);
    ProposalRetry retry = new ProposalRetry(vertx, 4, 200);
    StatusBatcher statuses = new StatusBatcher(context, control::propose, retry, System::currentTimeMillis,
        MAX_STATUS_BATCH);
    MqttMetrics metrics = new MqttMetrics(registry, vertx);
    sessions = new SessionRegistry(vertx, nodeId, new SessionStore(vertx));
    SessionContext ctx = new SessionContext(vertx, nodeId, config, control, statuses, retry, metrics, sessions,
        broker, System::currentTimeMillis);
    ConnectAuthenticator authenticator = new ConnectAuthenticator(control);
    EventRouter router = new EventRouter(nodeId, sessions);

    MessageConsumer<PersistedEvents> persisted =
        vertx.eventBus().localConsumer(ControlClient.PERSISTED, m -> router.route(m.body()));
    vertx.setPeriodic(RESEND_CHECK_MS, id -> {
      long now = System.currentTimeMillis();
      for (DeviceSession s : sessions.snapshot()) s.resendDue(now);
    });
    server = MqttServer.create(vertx, options())
        .endpointHandler(endpoint -> accept(endpoint, ctx, authenticator))
        .exceptionHandler(t -> LOG.debug("MQTT connection refused before CONNECT: {}", t.getMessage()));
    Future<?> tls = Future.succeededFuture();
    if (config.tlsPort() > 0) {
      MqttServerOptions tlsOptions = options().setPort(config.tlsPort());
      tlsOptions.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(config.tlsCertPath())
          .setKeyPath(config.tlsKeyPath()));
      tlsServer = MqttServer.create(vertx, tlsOptions)
          .endpointHandler(endpoint -> accept(endpoint, ctx, authenticator))
          .exceptionHandler(t -> LOG.debug("MQTT/TLS connection refused before CONNECT: {}", t.getMessage()));
      tls = tlsServer.listen(config.tlsPort(), config.host())
          .onSuccess(s -> LOG.info("MQTT/TLS server instance listening on {}:{}", config.host(), s.actualPort()));
    }
    return Future.join(persisted.completion(), sessions.start(), tls, server.listen(config.port(), config.host()))
        .onSuccess(v -> {
          vertx.sharedData().getLocalMap(PORTS).put("tcp", server.actualPort());
          LOG.info("MQTT server instance listening on {}:{}", config.host(), server.actualPort());
        });
  }

  @Override
  public Future<?> stop() {
    if (sessions != null) sessions.closeAll(CloseReason.SHUTTING_DOWN);
    Future<Void> tls = tlsServer == null ? Future.succeededFuture() : tlsServer.close();
    return server == null ? tls : Future.join(tls, server.close());
  }

  /**
   * A client with a broker username, or without credentials where anonymous clients are allowed,
   * is a broker client; any other is a device (device protocol v1).
   */
  private void accept(MqttEndpoint endpoint, SessionContext ctx, ConnectAuthenticator authenticator) {
    if (!broker.connections().admit()) {
      broker.stats().refused();
      LOG.info("MQTT client '{}' refused: {} connections on this node", endpoint.clientIdentifier(), broker.connections().count());
      endpoint.reject(ReasonCodes.connack(ReasonCodes.ConnectRefusal.QUOTA_EXCEEDED, endpoint.protocolVersion()));
      return;
    }
    MqttAuth auth = endpoint.auth();
    boolean brokerClient = auth == null ? broker.access().allowAnonymous() : broker.access().isUser(auth.getUsername());
    if (brokerClient) {
      new BrokerConnection(broker, config.maxPacketBytes(), endpoint, vertx).connect();
    } else {
      new DeviceSession(ctx, endpoint).connect(authenticator);
    }
  }

  /** The port actually bound (when {@code mqtt.port} is 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private MqttServerOptions options() {
    MqttServerOptions options = new MqttServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setMaxMessageSize(config.maxPacketBytes())
        .setMaxClientIdLength(MAX_CLIENT_ID)
        .setAutoClientId(false)
        .setTimeoutOnConnect(config.connectTimeoutSec());
    options.setTcpNoDelay(true);
    return options;
  }
}
