package io.falconmind.center.mqtt;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;

/**
 * MQTT over WebSocket at {@value #PATH} on the HTTP port (subprotocol {@code mqtt}): each
 * WebSocket is joined to a TCP connection to this node's MQTT server, binary frames one way and
 * bytes the other, with back-pressure both ways, so WebSocket clients get exactly what TCP
 * clients get. Closing either side closes the other. Thread-safe; one per HTTP server instance.
 */
public final class MqttWebSocketBridge {

  public static final String PATH = "/mqtt";
  /** The subprotocols a client may ask for (MQTT 3.1.1/5 say {@code mqtt}; old clients {@code mqttv3.1}). */
  public static final List<String> SUBPROTOCOLS = List.of("mqtt", "mqttv3.1");

  private static final Logger LOG = LoggerFactory.getLogger(MqttWebSocketBridge.class);
  private static final Set<String> WILDCARDS = Set.of("0.0.0.0", "::", "[::]");

  private final Vertx vertx;
  private final String host;
  private final NetClient client;

  /** @param mqttHost the MQTT server's {@code mqtt.host} (a wildcard means this machine's loopback) */
  public MqttWebSocketBridge(Vertx vertx, String mqttHost) {
    this.vertx = vertx;
    this.host = WILDCARDS.contains(mqttHost) ? "127.0.0.1" : mqttHost;
    this.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(5_000));
  }

  /** Whether {@code request} is a WebSocket upgrade to {@value #PATH}. */
  public boolean handles(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    return PATH.equals(request.path()) && upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }

  public void handle(HttpServerRequest request) {
    Object port = vertx.sharedData().getLocalMap(MqttVerticle.PORTS).get("tcp");
    if (!(port instanceof Integer p)) {
      request.response().setStatusCode(503).end("the MQTT server is not listening yet");
      return;
    }
    request.toWebSocket()
        .onSuccess(ws -> join(ws, p))
        .onFailure(e -> LOG.debug("MQTT WebSocket upgrade failed: {}", e.getMessage()));
  }

  private void join(ServerWebSocket ws, int port) {
    ws.pause();
    client.connect(port, host)
        .onSuccess((NetSocket socket) -> {
          ws.pipeTo(socket);
          socket.pipeTo(ws);
        })
        .onFailure(e -> {
          LOG.warn("MQTT WebSocket client not joined to the MQTT server on {}:{}: {}", host, port, e.getMessage());
          ws.close((short) 1011, "MQTT server unavailable");
        });
  }
}
