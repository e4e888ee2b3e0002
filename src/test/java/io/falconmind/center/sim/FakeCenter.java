package io.falconmind.center.sim;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import io.vertx.mqtt.MqttTopicSubscription;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The device side of a center, just enough to drive one simulated device over real sockets:
 * accepts connections, acknowledges subscriptions and publishes, records what the device sends and
 * lets the test push assignments and cancels. Runs on the context that started it.
 */
final class FakeCenter {
  /** A message the device published. */
  record Received(String topic, JsonObject body) {
  }

  private final Vertx vertx;
  private final List<Received> received = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final List<String> credentials = new ArrayList<>();
  private final List<List<String>> subscriptions = new ArrayList<>();
  private MqttServer server;
  private MqttEndpoint endpoint;

  private record Waiter(int from, Predicate<Received> test, Promise<Received> promise) {
  }

  FakeCenter(Vertx vertx) {
    this.vertx = vertx;
  }

  Future<Integer> start() {
    server = MqttServer.create(vertx, new MqttServerOptions().setPort(0).setHost("127.0.0.1"));
    return server.endpointHandler(this::onEndpoint).listen().map(MqttServer::actualPort);
  }

  Future<Void> stop() {
    return server.close();
  }

  private void onEndpoint(MqttEndpoint ep) {
    credentials.add(ep.clientIdentifier() + "|" + (ep.auth() == null ? null : ep.auth().getUsername() + "|" + ep.auth().getPassword()));
    endpoint = ep;
    ep.subscribeHandler(s -> {
      List<String> topics = new ArrayList<>();
      List<MqttQoS> granted = new ArrayList<>();
      for (MqttTopicSubscription t : s.topicSubscriptions()) {
        topics.add(t.topicName());
        granted.add(t.qualityOfService());
      }
      subscriptions.add(topics);
      ep.subscribeAcknowledge(s.messageId(), granted);
    });
    ep.publishHandler(m -> {
      if (m.qosLevel() == MqttQoS.AT_LEAST_ONCE) ep.publishAcknowledge(m.messageId());
      record(new Received(m.topicName(), m.payload().toJsonObject()));
    });
    ep.accept(false);
  }

  private void record(Received r) {
    received.add(r);
    for (Waiter w : new ArrayList<>(waiters)) {
      if (w.test.test(r)) {
        waiters.remove(w);
        w.promise.complete(r);
      }
    }
  }

  /** Completes with the first message from index {@code from} on that matches. */
  Future<Received> next(int from, Predicate<Received> test) {
    for (int i = from; i < received.size(); i++) {
      if (test.test(received.get(i))) return Future.succeededFuture(received.get(i));
    }
    Promise<Received> p = Promise.promise();
    waiters.add(new Waiter(from, test, p));
    return p.future();
  }

  static Predicate<Received> status(String missionId, String status) {
    return r -> r.topic().endsWith("/missions/" + missionId + "/status") && status.equals(r.body().getString("status"));
  }

  int receivedCount() {
    return received.size();
  }

  List<Received> received() {
    return received;
  }

  List<String> credentials() {
    return credentials;
  }

  List<List<String>> subscriptions() {
    return subscriptions;
  }

  void assign(String deviceId, String missionId, int attempt) {
    JsonObject a = new JsonObject().put("missionId", missionId).put("attempt", attempt)
        .put("type", "survey").put("payload", new JsonObject()).put("timeoutSec", 60);
    endpoint.publish("devices/" + deviceId + "/missions/assign", a.toBuffer(), MqttQoS.AT_LEAST_ONCE, false, false);
  }

  void cancel(String deviceId, String missionId, int attempt) {
    JsonObject c = new JsonObject().put("attempt", attempt).put("reason", "operator");
    endpoint.publish("devices/" + deviceId + "/missions/" + missionId + "/cancel", c.toBuffer(),
        MqttQoS.AT_LEAST_ONCE, false, false);
  }

  /** Drops the device's connection, as a failing node or network would. */
  void dropConnection() {
    endpoint.close();
  }
}
