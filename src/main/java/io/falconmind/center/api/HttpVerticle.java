package io.falconmind.center.api;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.device.DeviceSignals;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.PersistedEvents;
import io.falconmind.center.device.DeviceSignals;
import io.falconmind.center.store.StoreClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.falconmind.center.mqtt.MqttWebSocketBridge;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;

/**
 * The node's HTTP server: the REST API ({@code /api/v1}), the event feed (WebSocket
 * {@code /api/v1/feed}, SSE {@code /api/v1/feed/sse}), {@code /health/live}, {@code /health/ready},
 * {@code /metrics} and {@code /openapi.yaml}. Routes come from the bundled OpenAPI document, which
 * validates every request before a handler sees it; every failure is answered by
 * {@link ProblemMapper}.
 *
 * <p>Deploy exactly one instance per node (it owns the feed ring and the metrics that follow the
 * persisted stream): {@code vertx.deployVerticle(() -> new HttpVerticle(nodeId, config, adminToken,
 * registry), new DeploymentOptions())}. It needs the control plane ({@link ControlClient}) and the
 * store ({@link StoreClient}) of the node; until they answer, the API replies 503 and readiness is
 * down, but the verticle starts. {@code start()} fails when the port cannot be bound.
 */
public final class HttpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

  private final String nodeId;
  private final CenterConfig config;
  private final String adminToken;
  private final PrometheusMeterRegistry registry;
  private final LongSupplier clock = System::currentTimeMillis;

  private HttpServer server;
  private FeedHub hub;

  /**
   * @param nodeId     this node's id (logged, shown by {@code /api/v1/cluster} through the control plane)
   * @param config     the node configuration; uses {@code http}, {@code missions} and {@code feed}
   * @param adminToken the resolved operator token (never empty)
   * @param registry   the node's Prometheus registry, with Vert.x metrics enabled on it
   */
  public HttpVerticle(String nodeId, CenterConfig config, String adminToken, PrometheusMeterRegistry registry) {
    this.nodeId = nodeId;
    this.config = config;
    this.adminToken = adminToken;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    ControlClient control = new ControlClient(vertx);
    StoreClient store = new StoreClient(vertx);
    ApiMetrics metrics = new ApiMetrics(registry, control);
    hub = new FeedHub(config.feed().bufferEvents());

    MessageConsumer<PersistedEvents> persisted = vertx.eventBus().<PersistedEvents>localConsumer(
        ControlClient.PERSISTED, m -> {
          hub.onPersisted(m.body());
          metrics.onPersisted(m.body());
        });
    MessageConsumer<JsonObject> telemetry = vertx.eventBus().<JsonObject>localConsumer(DeviceSignals.TELEMETRY,
        m -> hub.onSoft("device.telemetry", m.body()));
    MessageConsumer<JsonObject> progress = vertx.eventBus().<JsonObject>localConsumer(DeviceSignals.PROGRESS,
        m -> hub.onSoft("device.progress", m.body()));

    Future<HttpServer> listening = ApiContract.load(vertx)
        .map(contract -> router(contract, control, store, metrics))
        .compose(router -> {
          CenterConfig.Http http = config.http();
          MqttWebSocketBridge mqtt = new MqttWebSocketBridge(vertx, config.mqtt().host());
          int frame = Math.max(65536, config.mqtt().maxPacketBytes() + 8);
          server = vertx.createHttpServer(new HttpServerOptions().setHost(http.host()).setPort(http.port())
              .setMaxWebSocketFrameSize(frame).setMaxWebSocketMessageSize(frame)
              .setWebSocketSubProtocols(MqttWebSocketBridge.SUBPROTOCOLS));
          return server.requestHandler(request -> {
            if (mqtt.handles(request)) {
              mqtt.handle(request);
            } else {
              router.handle(request);
            }
          }).listen();
        })
        .onSuccess(s -> LOG.info("Node {}: HTTP API listening on {}:{}", nodeId, config.http().host(), s.actualPort()));
    return Future.all(persisted.completion(), telemetry.completion(), progress.completion(), listening);
  }

  /** The port actually bound (useful when configured as 0), or -1 before start. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> stop() {
    if (hub != null) hub.closeAll("the node is shutting down; reconnect to another node with since");
    return Future.succeededFuture();
  }

  private Router router(ApiContract contract, ControlClient control, StoreClient store, ApiMetrics metrics) {
    DeviceResource devices = new DeviceResource(control, clock);
    MissionResource missions = new MissionResource(control, store,
        new MissionSubmissions(config.missions()), config.missions().maxBatch(), clock);
    HealthResource health = new HealthResource(control, store);
    FeedResource feed = new FeedResource(hub, storeHistory(store), config.feed().sessionQueueEvents());

    RouterBuilder builder = RouterBuilder.create(vertx, contract.contract(), RequestExtractor.withBodyHandler());
    builder.rootHandler(new UpgradeHold());
    builder.rootHandler(new BearerAuth(adminToken));
    builder.rootHandler(new UpgradeAwareBody(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes())));
    builder.rootHandler(new JsonBodyGuard());

    route(builder, "getOpenApi", ctx -> ctx.response().putHeader("Content-Type", "application/yaml; charset=utf-8")
        .end(contract.yaml()));
    route(builder, "getLiveness", health::live);
    route(builder, "getReadiness", health::ready);
    route(builder, "getMetrics", metrics::scrape);
    route(builder, "getCluster", health::cluster);
    route(builder, "registerDevice", devices::register);
    route(builder, "listDevices", devices::list);
    route(builder, "getDevice", devices::get);
    route(builder, "removeDevice", devices::remove);
    route(builder, "drainDevice", devices::drain);
    route(builder, "submitMission", missions::submit);
    route(builder, "listMissions", missions::list);
    route(builder, "submitMissionBatch", missions::submitBatch);
    route(builder, "getMission", missions::get);
    route(builder, "cancelMission", missions::cancel);
    route(builder, "openFeed", feed::webSocket);
    route(builder, "openFeedSse", feed::sse);

    Router router = builder.createRouter();
    router.route().last().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(ProblemMapper::handleFailure);
    router.errorHandler(404, ProblemMapper::handleFailure);
    router.errorHandler(405, ProblemMapper::handleFailure);
    router.errorHandler(500, ProblemMapper::handleFailure);
    return router;
  }

  /** Authentication is done by {@link BearerAuth} before the body is read, not by the router builder. */
  private static void route(RouterBuilder builder, String operationId, Handler<RoutingContext> handler) {
    OpenAPIRoute route = builder.getRoute(operationId);
    if (route == null) throw new IllegalStateException("openapi.yaml has no operation " + operationId);
    route.setDoSecurity(false).addHandler(handler);
  }

  private static FeedSession.History storeHistory(StoreClient store) {
    return new FeedSession.History() {
      @Override
      public Future<JsonArray> eventsAfter(long afterSeq, int limit) {
        return store.eventsAfter(afterSeq, limit);
      }

      @Override
      public Future<Long> oldestEventSeq() {
        return store.oldestEventSeq();
      }
    };
  }
}
