package io.falconmind.center.sim;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubAckMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One simulated device speaking the device protocol v1: keeps an MQTT connection (reconnecting
 * with backoff), announces its profile, streams telemetry and runs the missions it is assigned.
 *
 * <p>Threading: every method runs on the context of the verticle that owns the device (the MQTT
 * client, its timers and callbacks all stay on it); nothing here blocks.
 *
 * <p>Deliveries are idempotent per mission id and attempt: a repeated assignment re-sends the last
 * status of that attempt instead of starting it again, so a center that re-delivers open
 * assignments after a reconnect learns where the attempt stands (including an end it missed).
 */
final class SimDevice {
  private static final Logger log = LoggerFactory.getLogger(SimDevice.class);
  private static final int REMEMBERED_RUNS = 64;
  private static final long MAX_BACKOFF_MS = 30_000;
  private static final long CONNECT_TIMEOUT_MS = 15_000;
  private static final long NOTICE_EVERY_MS = 5_000;

  private final Vertx vertx;
  private final SimOptions options;
  private final FleetStats stats;
  private final Random random;
  private final String id;
  private final String kind;
  private final String topicPrefix;
  private final BatteryModel battery;
  private final Map<String, Run> runs = new LinkedHashMap<>(16, 0.75f, false);
  private final Promise<Void> firstConnect = Promise.promise();
  private double lat;
  private double lon;
  private String token;
  private MqttClient client;
  private boolean connected;
  private boolean stopped;
  private boolean reconnectPending;
  private int failures;
  private int active;
  private long telemetryTimer = -1;
  private Promise<Void> subAck;

  /** One attempt of one mission on this device. */
  private static final class Run {
    final String missionId;
    final int attempt;
    final List<Long> timers = new ArrayList<>();
    JsonObject lastStatus;
    boolean ended;
    boolean unsent;

    Run(String missionId, int attempt) {
      this.missionId = missionId;
      this.attempt = attempt;
    }
  }

  SimDevice(Vertx vertx, SimOptions options, FleetStats stats, Random random, int index) {
    this.vertx = vertx;
    this.options = options;
    this.stats = stats;
    this.random = random;
    this.id = options.deviceId(index);
    this.kind = options.kindOf(index);
    this.topicPrefix = "devices/" + id + "/";
    this.battery = new BatteryModel(60 + random.nextDouble() * 40, options.batteryDrain(),
        options.rechargePerSec());
    double[] start = Geo.randomPointIn(options.area(), random);
    this.lat = start[0];
    this.lon = start[1];
  }

  String id() {
    return id;
  }

  String kind() {
    return kind;
  }

  /** Completes on the first successful connection (profile published). */
  Future<Void> firstConnect() {
    return firstConnect.future();
  }

  /** Starts connecting with the token issued at registration. Call on the owning context. */
  void start(String deviceToken) {
    this.token = deviceToken;
    if (options.telemetryMs() > 0) {
      long phase = 1 + (long) (random.nextDouble() * options.telemetryMs());
      vertx.setTimer(phase, t -> {
        if (!stopped) telemetryTimer = vertx.setPeriodic(options.telemetryMs(), p -> sendTelemetry());
      });
    }
    connect();
  }

  /** Stops work and disconnects; the device stays registered. Call on the owning context. */
  Future<Void> stop() {
    stopped = true;
    if (telemetryTimer >= 0) vertx.cancelTimer(telemetryTimer);
    for (Run run : runs.values()) cancelTimers(run);
    MqttClient c = client;
    if (c != null && c.isConnected()) {
      return c.disconnect().otherwiseEmpty();
    }
    return Future.succeededFuture();
  }

  // ---- connection -------------------------------------------------------------------------

  private void connect() {
    reconnectPending = false;
    if (stopped) return;
    MqttClientOptions mo = new MqttClientOptions()
        .setClientId(id).setUsername(id).setPassword(token)
        .setCleanSession(options.cleanSession())
        .setKeepAliveInterval(30)
        .setMaxInflightQueue(1000)
        .setMaxMessageSize(256 * 1024)
        .setAutoKeepAlive(true);
    mo.setConnectTimeout((int) CONNECT_TIMEOUT_MS);
    MqttClient c = MqttClient.create(vertx, mo);
    client = c;
    c.publishHandler(this::onMessage);
    c.subscribeCompletionHandler(ack -> {
      if (c == client) onSubAck(ack);
    });
    c.exceptionHandler(e -> log.debug("{}: connection error: {}", id, e.toString()));
    c.closeHandler(v -> onClosed(c));
    c.connect(options.mqttPort(), options.mqttHost())
        .compose(ack -> subscribe(c))
        .compose(v -> publishProfile(c))
        .timeout(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onSuccess(v -> onConnected(c))
        .onFailure(e -> onConnectFailed(c, e));
  }

  private Future<Void> subscribe(MqttClient c) {
    Map<String, Integer> topics = new LinkedHashMap<>();
    topics.put(topicPrefix + "missions/assign", 1);
    topics.put(topicPrefix + "missions/+/cancel", 1);
    topics.put(topicPrefix + "errors", 0);
    // One SUBSCRIBE per connection, so any SUBACK on it is ours (it may even be read before the
    // write of the SUBSCRIBE reports its packet id).
    subAck = Promise.promise();
    Promise<Void> acked = subAck;
    return c.subscribe(topics).compose(packetId -> acked.future());
  }

  private void onSubAck(MqttSubAckMessage ack) {
    if (subAck == null) return;
    Promise<Void> p = subAck;
    subAck = null;
    for (Integer granted : ack.grantedQoSLevels()) {
      if (granted == null || granted >= 0x80) {
        p.tryFail("subscription refused by the center: " + ack.grantedQoSLevels());
        return;
      }
    }
    p.tryComplete();
  }

  private Future<Void> publishProfile(MqttClient c) {
    JsonObject profile = new JsonObject()
        .put("kind", kind)
        .put("capabilities", new JsonArray(new ArrayList<>(options.capabilitiesOf(kind))))
        .put("capacity", options.capacity())
        .put("specs", new JsonObject().put("simulated", true).put("firmware", "sim-1.0"))
        .put("labels", new JsonObject().put("sim", "true").put("kind", kind));
    return c.publish(topicPrefix + "profile", profile.toBuffer(), MqttQoS.AT_LEAST_ONCE, false, false)
        .mapEmpty();
  }

  private void onConnected(MqttClient c) {
    if (c != client || stopped) {
      c.disconnect();
      return;
    }
    connected = true;
    stats.connected.incrementAndGet();
    if (failures > 0 || firstConnect.future().isComplete()) stats.reconnects.increment();
    failures = 0;
    firstConnect.tryComplete();
    log.debug("{}: connected", id);
    for (Run run : runs.values()) {
      if (run.unsent && run.lastStatus != null) publishStatus(run, run.lastStatus);
    }
  }

  private void onConnectFailed(MqttClient c, Throwable e) {
    if (c != client) return;
    if (stats.mayNotice("connect", System.currentTimeMillis(), NOTICE_EVERY_MS)) {
      log.warn("{}: cannot connect to {}:{}: {} (retrying with backoff; such failures are logged once per {} s)",
          id, options.mqttHost(), options.mqttPort(), e.getMessage(), NOTICE_EVERY_MS / 1000);
    } else {
      log.debug("{}: cannot connect: {}", id, e.getMessage());
    }
    if (c.isConnected()) c.disconnect();
    scheduleReconnect(c);
  }

  private void onClosed(MqttClient c) {
    if (c != client) return;
    if (connected) {
      connected = false;
      stats.connected.decrementAndGet();
      if (!stopped && stats.mayNotice("lost", System.currentTimeMillis(), NOTICE_EVERY_MS)) {
        log.warn("{}: connection lost, reconnecting (logged once per {} s for the fleet)", id, NOTICE_EVERY_MS / 1000);
      } else {
        log.debug("{}: connection lost", id);
      }
    }
    scheduleReconnect(c);
  }

  private void scheduleReconnect(MqttClient c) {
    if (stopped || reconnectPending || c != client) return;
    reconnectPending = true;
    long base = Math.min(MAX_BACKOFF_MS, 500L << Math.min(failures, 10));
    failures++;
    long delay = Math.max(1, (long) (base * (0.5 + random.nextDouble())));
    vertx.setTimer(delay, t -> connect());
  }

  // ---- inbound ------------------------------------------------------------------------------

  private void onMessage(MqttPublishMessage msg) {
    String topic = msg.topicName();
    JsonObject body;
    try {
      body = msg.payload().length() == 0 ? new JsonObject() : msg.payload().toJsonObject();
    } catch (DecodeException | ClassCastException e) {
      log.warn("{}: ignoring malformed message on {}: {}", id, topic, e.getMessage());
      return;
    }
    if (topic.equals(topicPrefix + "missions/assign")) {
      onAssign(body);
    } else if (topic.startsWith(topicPrefix + "missions/") && topic.endsWith("/cancel")) {
      String missionId = topic.substring((topicPrefix + "missions/").length(), topic.length() - "/cancel".length());
      onCancel(missionId, body);
    } else if (topic.equals(topicPrefix + "errors")) {
      stats.centerErrors.increment();
      if (stats.mayNotice("refused", System.currentTimeMillis(), NOTICE_EVERY_MS)) {
        log.warn("{}: center refused a message: {}", id, body.encode());
      } else {
        log.debug("{}: center refused a message: {}", id, body.encode());
      }
    } else {
      log.debug("{}: ignoring message on {}", id, topic);
    }
  }

  private void onAssign(JsonObject a) {
    String missionId = a.getString("missionId");
    Integer attempt = a.getInteger("attempt");
    if (missionId == null || attempt == null) {
      log.warn("{}: assignment without missionId/attempt: {}", id, a.encode());
      return;
    }
    Run known = runs.get(missionId);
    if (known != null) {
      if (known.attempt >= attempt) {
        stats.duplicates.increment();
        if (known.attempt == attempt && known.lastStatus != null) publishStatus(known, known.lastStatus);
        return;
      }
      if (!known.ended) abandon(known);
    }
    stats.assigned.increment();
    Run run = new Run(missionId, attempt);
    remember(run);
    if (active >= options.capacity()) {
      end(run, status(run, "REJECTED", null).put("error", error("busy", "device is at capacity", true)));
      stats.rejected.increment();
      return;
    }
    Outcome outcome = Outcome.choose(random, options.rejectRate(), options.failRate(), battery.canWork());
    if (outcome == Outcome.REJECT || outcome == Outcome.REJECT_BATTERY) {
      JsonObject err = outcome == Outcome.REJECT
          ? error("declined", "simulated rejection", true)
          : error("battery-low", "battery at " + Math.round(battery.level()) + " %", true);
      end(run, status(run, "REJECTED", null).put("error", err));
      stats.rejected.increment();
      return;
    }
    active++;
    stats.running.incrementAndGet();
    report(run, status(run, "ACCEPTED", 0));
    RunPlan plan = RunPlan.of(options.durationMs(), options.progressSteps(), random);
    for (RunPlan.Step step : plan.progress()) {
      at(run, step.atMs(), () -> report(run, status(run, "RUNNING", step.percent())));
    }
    at(run, plan.endAfterMs(), () -> finish(run, outcome));
  }

  private void onCancel(String missionId, JsonObject c) {
    Run run = runs.get(missionId);
    Integer attempt = c.getInteger("attempt");
    if (run == null || run.ended || (attempt != null && attempt != run.attempt)) return;
    log.debug("{}: mission {} attempt {} canceled: {}", id, missionId, run.attempt, c.getString("reason"));
    abandon(run);
    stats.canceled.increment();
  }

  // ---- mission runs ---------------------------------------------------------------------------

  private void at(Run run, long delayMs, Runnable action) {
    if (delayMs <= 0) {
      action.run();
      return;
    }
    run.timers.add(vertx.setTimer(delayMs, t -> {
      if (!run.ended && !stopped) action.run();
    }));
  }

  private void finish(Run run, Outcome outcome) {
    if (run.ended) return;
    if (outcome == Outcome.SUCCEED) {
      JsonObject result = new JsonObject().put("device", id).put("kind", kind)
          .put("lat", lat).put("lon", lon).put("battery", Math.round(battery.level()));
      end(run, status(run, "SUCCEEDED", 100).put("result", result));
      stats.succeeded.increment();
    } else {
      boolean retryable = outcome == Outcome.FAIL_RETRYABLE;
      JsonObject err = error(retryable ? "transient-fault" : "hardware-fault",
          "simulated " + (retryable ? "transient" : "permanent") + " failure", retryable);
      end(run, status(run, "FAILED", null).put("error", err));
      stats.failed.increment();
    }
    releaseSlot();
    battery.missionDone();
  }

  /** Stops an attempt the device no longer owns (canceled or superseded): no status is sent. */
  private void abandon(Run run) {
    cancelTimers(run);
    run.ended = true;
    releaseSlot();
  }

  private void releaseSlot() {
    if (active > 0) {
      active--;
      stats.running.decrementAndGet();
    }
  }

  private void end(Run run, JsonObject status) {
    cancelTimers(run);
    run.ended = true;
    report(run, status);
  }

  private void report(Run run, JsonObject status) {
    run.lastStatus = status;
    publishStatus(run, status);
  }

  private void cancelTimers(Run run) {
    for (Long t : run.timers) vertx.cancelTimer(t);
    run.timers.clear();
  }

  private void remember(Run run) {
    runs.remove(run.missionId);
    runs.put(run.missionId, run);
    if (runs.size() > REMEMBERED_RUNS) {
      Iterator<Run> it = runs.values().iterator();
      while (it.hasNext() && runs.size() > REMEMBERED_RUNS) {
        if (it.next().ended) it.remove();
      }
    }
  }

  private static JsonObject status(Run run, String status, Integer progress) {
    JsonObject json = new JsonObject().put("attempt", run.attempt).put("status", status);
    if (progress != null) json.put("progress", progress);
    return json;
  }

  private static JsonObject error(String code, String message, boolean retryable) {
    return new JsonObject().put("code", code).put("message", message).put("retryable", retryable);
  }

  // ---- outbound -------------------------------------------------------------------------------

  /** A status that cannot go out now goes out on the next connection. */
  private void publishStatus(Run run, JsonObject status) {
    run.unsent = !publish(topicPrefix + "missions/" + run.missionId + "/status", status.toBuffer(),
        MqttQoS.AT_LEAST_ONCE);
  }

  private void sendTelemetry() {
    boolean busy = active > 0;
    battery.elapse(options.telemetryMs(), busy);
    double stepKm = busy ? 0.05 : 0.005;
    double[] next = Geo.wander(lat, lon, stepKm, options.area(), random);
    lat = next[0];
    lon = next[1];
    JsonObject t = new JsonObject()
        .put("battery", Math.round(battery.level() * 10) / 10.0)
        .put("lat", lat).put("lon", lon)
        .put("alt", "drone".equals(kind) ? (busy ? 80 + random.nextInt(40) : 0) : 0)
        .put("cpu", busy ? 55 + random.nextInt(40) : 3 + random.nextInt(12))
        .put("mem", 30 + random.nextInt(20))
        .put("charging", battery.charging())
        .put("activeMissions", active);
    publish(topicPrefix + "telemetry", t.toBuffer(), MqttQoS.AT_MOST_ONCE);
  }

  /** Returns false when not connected (nothing was sent). */
  private boolean publish(String topic, Buffer payload, MqttQoS qos) {
    MqttClient c = client;
    if (!connected || c == null) return false;
    c.publish(topic, payload, qos, false, false).onFailure(e -> {
      stats.publishErrors.increment();
      log.debug("{}: publish on {} failed: {}", id, topic, e.getMessage());
    });
    return true;
  }
}
