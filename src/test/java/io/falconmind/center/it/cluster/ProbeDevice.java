package io.falconmind.center.it.cluster;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * A device speaking protocol v1 over MQTT 5 (HiveMQ async client) that runs every mission it is
 * assigned for a short, fixed time and reports RUNNING then SUCCEEDED, and that keeps a record of
 * what it held and when ({@link Holding}). When its link drops it gives up what it was doing (a
 * device that loses its control link stops), reconnects to the next serving node, and takes the
 * work up again if the center re-delivers it.
 *
 * <p>Thread-safe: MQTT callbacks and the work timers run on other threads; state is guarded by this.
 */
final class ProbeDevice {

  static final String KIND = "probe";

  private final String id;
  private final String token;
  private final long workMs;
  private final ScheduledExecutorService timers;
  private final IntSupplier nextMqttPort;
  private final Mqtt5AsyncClient client;

  /** missionId -> what this device works on now. */
  private final Map<String, Holding> open = new HashMap<>();
  private final List<Holding> closed = new ArrayList<>();
  /** missionId#attempt this device finished (sent SUCCEEDED for). */
  private final Set<String> finished = new HashSet<>();
  /** missionIds whose SUCCEEDED the center acknowledged with success. */
  private final Set<String> succeededAccepted = new HashSet<>();
  private int deliveries;
  private int redeliveries;
  private int refusals;
  private int connects;
  private volatile boolean stopping;

  ProbeDevice(String id, String token, int firstPort, long workMs, ScheduledExecutorService timers,
              IntSupplier nextMqttPort) {
    this.id = id;
    this.token = token;
    this.workMs = workMs;
    this.timers = timers;
    this.nextMqttPort = nextMqttPort;
    this.client = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(firstPort)
        .simpleAuth().username(id).password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
        .addConnectedListener(ctx -> onConnected())
        .addDisconnectedListener(ctx -> {
          onLinkLost();
          if (stopping || ctx.getSource() == MqttDisconnectSource.USER) return;
          // The next serving node; the same one again when it is the only one up.
          ctx.getReconnector().reconnect(true).delay(200, TimeUnit.MILLISECONDS)
              .transportConfig().serverHost("127.0.0.1").serverPort(nextMqttPort.getAsInt()).applyTransportConfig();
        })
        .buildAsync();
    client.publishes(MqttGlobalPublishFilter.ALL, this::onMessage);
  }

  String id() {
    return id;
  }

  /** Connects (and keeps reconnecting on its own); the first attempt's outcome does not matter. */
  void connect() {
    client.connectWith().cleanStart(false).sessionExpiryInterval(300).keepAlive(3).send();
  }

  private void onConnected() {
    synchronized (this) {
      connects++;
    }
    client.subscribeWith().topicFilter("devices/" + id + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
    publish("devices/" + id + "/profile", new JsonObject().put("kind", KIND)
        .put("capabilities", new JsonArray().add("probe")).put("capacity", 1));
  }

  private synchronized void onLinkLost() {
    long now = System.currentTimeMillis();
    for (Holding h : open.values()) closed.add(h.end(now, "link-lost"));
    open.clear();
  }

  private void onMessage(Mqtt5Publish p) {
    String topic = p.getTopic().toString();
    JsonObject body;
    try {
      body = new JsonObject(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return;
    }
    if (topic.endsWith("/missions/assign")) onAssign(body.getString("missionId"), body.getInteger("attempt", 0));
    else if (topic.endsWith("/cancel")) onRevoke(missionOf(topic), body.getInteger("attempt", 0), body.getString("reason"));
    else if (topic.endsWith("/errors")) onRefused(body.getString("topic", ""));
  }

  private void onAssign(String missionId, int attempt) {
    boolean republish = false;
    synchronized (this) {
      deliveries++;
      String key = missionId + "#" + attempt;
      Holding current = open.get(missionId);
      if (finished.contains(key)) {
        redeliveries++;
        republish = true;
      } else if (current != null && current.attempt() == attempt) {
        redeliveries++;
        return;
      } else {
        long now = System.currentTimeMillis();
        if (current != null) closed.add(current.end(now, "superseded by attempt " + attempt));
        open.put(missionId, new Holding(id, missionId, attempt, now, null, null));
        timers.schedule(() -> report(missionId, attempt, "RUNNING"), workMs / 2, TimeUnit.MILLISECONDS);
        timers.schedule(() -> finish(missionId, attempt), workMs, TimeUnit.MILLISECONDS);
      }
    }
    if (republish) sendSucceeded(missionId, attempt);
  }

  private void report(String missionId, int attempt, String status) {
    synchronized (this) {
      Holding h = open.get(missionId);
      if (h == null || h.attempt() != attempt) return;
    }
    publish(statusTopic(missionId), new JsonObject().put("attempt", attempt).put("status", status).put("progress", 50))
        .whenComplete((r, e) -> {
          if (e == null && refused(r)) endHolding(missionId, attempt, "refused " + status);
        });
  }

  private void finish(String missionId, int attempt) {
    synchronized (this) {
      Holding h = open.get(missionId);
      if (h == null || h.attempt() != attempt) return;
      open.remove(missionId);
      closed.add(h.end(System.currentTimeMillis(), "done"));
      finished.add(missionId + "#" + attempt);
    }
    sendSucceeded(missionId, attempt);
  }

  private void sendSucceeded(String missionId, int attempt) {
    publish(statusTopic(missionId), new JsonObject().put("attempt", attempt).put("status", "SUCCEEDED")
        .put("result", new JsonObject().put("device", id).put("attempt", attempt)))
        .whenComplete((r, e) -> {
          if (e == null && !refused(r)) {
            synchronized (this) {
              succeededAccepted.add(missionId);
            }
          }
        });
  }

  private void onRevoke(String missionId, int attempt, String reason) {
    endHolding(missionId, attempt, "revoked: " + reason);
  }

  private void onRefused(String topic) {
    String missionId = missionOf(topic);
    if (missionId == null) return;
    synchronized (this) {
      refusals++;
      Holding h = open.remove(missionId);
      if (h != null) closed.add(h.end(System.currentTimeMillis(), "refused on " + topic));
    }
  }

  private synchronized void endHolding(String missionId, int attempt, String why) {
    Holding h = open.get(missionId);
    if (h == null || h.attempt() != attempt) return;
    open.remove(missionId);
    closed.add(h.end(System.currentTimeMillis(), why));
  }

  private boolean refused(Mqtt5PublishResult result) {
    if (result instanceof Mqtt5PublishResult.Mqtt5Qos1Result q1 && q1.getPubAck().getReasonCode().isError()) {
      synchronized (this) {
        refusals++;
      }
      return true;
    }
    return false;
  }

  private java.util.concurrent.CompletableFuture<Mqtt5PublishResult> publish(String topic, JsonObject body) {
    return client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
        .payload(body.encode().getBytes(StandardCharsets.UTF_8)).send();
  }

  private String statusTopic(String missionId) {
    return "devices/" + id + "/missions/" + missionId + "/status";
  }

  /** {@code devices/{id}/missions/{missionId}/...} -> missionId, else null. */
  private static String missionOf(String topic) {
    String[] parts = topic.split("/");
    return parts.length >= 4 && parts[2].equals("missions") ? parts[3] : null;
  }

  /** Everything this device held, open spans included (with a null end). */
  synchronized List<Holding> holdings() {
    List<Holding> all = new ArrayList<>(closed);
    all.addAll(open.values());
    return all;
  }

  synchronized Set<String> succeededAccepted() {
    return new HashSet<>(succeededAccepted);
  }

  synchronized int deliveries() {
    return deliveries;
  }

  synchronized int redeliveries() {
    return redeliveries;
  }

  synchronized int refusals() {
    return refusals;
  }

  synchronized int connects() {
    return connects;
  }

  boolean connected() {
    return client.getState().isConnected();
  }

  void close() {
    stopping = true;
    try {
      client.disconnect().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a device of a dead cluster cannot say goodbye
    }
  }
}
