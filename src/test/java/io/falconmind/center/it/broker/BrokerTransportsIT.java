package io.falconmind.center.it.broker;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.falconmind.center.it.TestNode;
import io.vertx.core.net.SelfSignedCertificate;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker over its other transports: MQTT over WebSocket at {@code /mqtt} on the HTTP port
 * (HiveMQ 3.1.1 and 5, Paho) and MQTT over TLS on {@code mqtt.tlsPort}, each talking to a client
 * on plain TCP.
 */
@Timeout(60)
class BrokerTransportsIT {

  private static TestNode node;
  private static SelfSignedCertificate certificate;
  private static int tlsPort;

  @BeforeAll
  static void start() {
    certificate = SelfSignedCertificate.create("localhost");
    tlsPort = TestNode.freePort();
    node = TestNode.start(Map.of("mqtt.allowAnonymous", "true", "mqtt.tlsPort", String.valueOf(tlsPort),
        "mqtt.tlsCertPath", certificate.certificatePath(), "mqtt.tlsKeyPath", certificate.privateKeyPath()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (certificate != null) certificate.delete();
  }

  private static Mqtt5BlockingClient tcpClient(String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(node.mqttPort)
        .buildBlocking();
    c.connect();
    return c;
  }

  private static String receive(Mqtt5BlockingClient.Mqtt5Publishes publishes) throws InterruptedException {
    Optional<Mqtt5Publish> p = publishes.receive(10, TimeUnit.SECONDS);
    return p.map(m -> new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8)).orElse(null);
  }

  @Test
  void mqtt5OverWebSocketTalksToATcpClient() throws Exception {
    Mqtt5BlockingClient ws = Mqtt5Client.builder().identifier("ws5").serverHost("127.0.0.1")
        .serverPort(node.httpPort).webSocketConfig().serverPath("mqtt").applyWebSocketConfig().buildBlocking();
    ws.connect();
    var atWs = ws.publishes(MqttGlobalPublishFilter.ALL);
    ws.subscribeWith().topicFilter("ws/in").qos(MqttQos.EXACTLY_ONCE).send();
    Mqtt5BlockingClient tcp = tcpClient("tcp-for-ws5");
    var atTcp = tcp.publishes(MqttGlobalPublishFilter.ALL);
    tcp.subscribeWith().topicFilter("ws/out").qos(MqttQos.AT_LEAST_ONCE).send();

    tcp.publishWith().topic("ws/in").payload("to-ws".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.EXACTLY_ONCE).send();
    ws.publishWith().topic("ws/out").payload("from-ws".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();

    assertThat(receive(atWs)).isEqualTo("to-ws");
    assertThat(receive(atTcp)).isEqualTo("from-ws");
    ws.disconnect();
    tcp.disconnect();
  }

  @Test
  void mqtt311OverWebSocketWithHiveMqAndPaho() throws Exception {
    Mqtt3BlockingClient hive = Mqtt3Client.builder().identifier("ws3").serverHost("127.0.0.1")
        .serverPort(node.httpPort).webSocketConfig().serverPath("mqtt").applyWebSocketConfig().buildBlocking();
    hive.connect();
    var atHive = hive.publishes(MqttGlobalPublishFilter.ALL);
    hive.subscribeWith().topicFilter("paho/#").qos(MqttQos.AT_LEAST_ONCE).send();

    MqttClient paho = new MqttClient("ws://127.0.0.1:" + node.httpPort + "/mqtt", "paho-ws", new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(true);
    paho.connect(options);
    CompletableFuture<String> atPaho = new CompletableFuture<>();
    paho.subscribe("hive/#", 1, (topic, message) -> atPaho.complete(new String(message.getPayload(), StandardCharsets.UTF_8)));

    paho.publish("paho/x", "from-paho".getBytes(StandardCharsets.UTF_8), 1, false);
    hive.publishWith().topic("hive/y").payload("from-hive".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();

    var got = atHive.receive(10, TimeUnit.SECONDS);
    assertThat(got).isPresent();
    assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("from-paho");
    assertThat(atPaho.get(10, TimeUnit.SECONDS)).isEqualTo("from-hive");
    paho.disconnect();
    paho.close();
    hive.disconnect();
  }

  @Test
  void mqttOverTlsWithTheConfiguredCertificate() throws Exception {
    Mqtt5BlockingClient tls = Mqtt5Client.builder().identifier("tls5").serverHost("localhost").serverPort(tlsPort)
        .sslConfig(MqttClientSslConfig.builder().trustManagerFactory(BrokerLimitsChecks.trusting(certificate.certificatePath())).build())
        .buildBlocking();
    tls.connect();
    var atTls = tls.publishes(MqttGlobalPublishFilter.ALL);
    tls.subscribeWith().topicFilter("secure/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient tcp = tcpClient("tcp-for-tls");

    tcp.publishWith().topic("secure/a").payload("over-tls".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();

    assertThat(receive(atTls)).isEqualTo("over-tls");
    tls.disconnect();
    tcp.disconnect();
  }
}
