package io.falconmind.center.device;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.Command.DeviceConnected;
import io.falconmind.center.control.Command.DeviceDisconnected;
import io.falconmind.center.control.ControlException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Online/offline of the devices whose MQTT sessions this node holds. One instance per node, used
 * from one context: every session of every MQTT server instance reports here, so the proposals
 * for one device are made in order ({@code DeviceConnected} never overtaken by an older
 * {@code DeviceDisconnected}) whichever event loop its connections land on.
 *
 * <p>A session that opens makes the device online here ({@code DeviceConnected}, retried while
 * the control plane is unavailable and the session is still the device's newest). A session that
 * closes starts the grace period; if no newer session of the device opened on this node by its
 * end, {@code DeviceDisconnected} is proposed (retried later when the control plane is
 * unavailable). A session closed because another one took it over starts no grace period.
 */
final class DeviceLiveness {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceLiveness.class);
  private static final long MAX_BACKOFF_MS = 5_000;

  private static final class Entry {
    String sessionId;
    long graceTimer = -1;
    Future<?> tail = Future.succeededFuture();
  }

  private final Vertx vertx;
  private final String nodeId;
  private final long graceMs;
  private final Function<Command, Future<Applied>> proposer;
  private final ProposalRetry retry;
  private final LongSupplier clock;
  private final Map<String, Entry> devices = new HashMap<>();

  DeviceLiveness(Vertx vertx, String nodeId, long graceMs, Function<Command, Future<Applied>> proposer,
                 LongSupplier clock) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.graceMs = graceMs;
    this.proposer = proposer;
    this.retry = new ProposalRetry(vertx, 4, 250);
    this.clock = clock;
  }

  /**
   * The session {@code sessionId} of the device opened. Completes with the reply of
   * {@code DeviceConnected} ({@code openAssignments}) plus {@code seq}, the sequence number of its
   * {@code device.online} event; fails with a {@link ControlException} when refused (404: the
   * device is gone) or when a newer session superseded this one (409).
   */
  Future<JsonObject> opened(String deviceId, String sessionId) {
    Entry e = devices.computeIfAbsent(deviceId, k -> new Entry());
    cancelGrace(e);
    e.sessionId = sessionId;
    Future<JsonObject> result = e.tail.transform(ignored -> connect(deviceId, sessionId, 1));
    e.tail = result;
    return result;
  }

  /** The session closed; {@code takenOver}: a newer session replaced it, the device stays online. */
  void closed(String deviceId, String sessionId, boolean takenOver) {
    Entry e = devices.get(deviceId);
    if (e == null || !sessionId.equals(e.sessionId)) return;
    e.sessionId = null;
    if (takenOver) {
      forgetIfIdle(deviceId, e);
      return;
    }
    startGrace(deviceId, e, graceMs);
  }

  /** Devices with a session or a pending offline transition on this node. */
  int tracked() {
    return devices.size();
  }

  private Future<JsonObject> connect(String deviceId, String sessionId, int attempt) {
    Entry e = devices.get(deviceId);
    if (e == null || !sessionId.equals(e.sessionId)) {
      return Future.failedFuture(new ControlException(409, "superseded", "a newer session of the device opened"));
    }
    return proposer.apply(new DeviceConnected(deviceId, nodeId, clock.getAsLong()))
        .compose(applied -> {
          if (applied.refused()) {
            JsonObject err = applied.reply().getJsonObject("error");
            return Future.failedFuture(new ControlException(err.getInteger("status", 409),
                err.getString("code", "refused"), err.getString("detail", "")));
          }
          return Future.succeededFuture(applied.reply().copy().put("seq", applied.lastSeq()));
        }, failure -> {
          if (!(failure instanceof ControlException ce) || !ce.retryable()) return Future.failedFuture(failure);
          long delay = Math.min(MAX_BACKOFF_MS, 200L << Math.min(attempt - 1, 10));
          LOG.debug("DeviceConnected of {} not proposed ({}); again in {} ms", deviceId, ce.getMessage(), delay);
          return vertx.timer(delay).compose(v -> connect(deviceId, sessionId, attempt + 1));
        });
  }

  private void startGrace(String deviceId, Entry e, long delayMs) {
    cancelGrace(e);
    e.graceTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      e.graceTimer = -1;
      if (e.sessionId != null) return;
      e.tail = e.tail.transform(ignored -> disconnect(deviceId, e));
    });
  }

  private Future<Void> disconnect(String deviceId, Entry e) {
    if (e.sessionId != null) return Future.succeededFuture();
    return retry.run(() -> proposer.apply(new DeviceDisconnected(deviceId, nodeId, clock.getAsLong())))
        .<Void>mapEmpty()
        .onSuccess(v -> forgetIfIdle(deviceId, e))
        .onFailure(failure -> {
          LOG.warn("device {} could not be marked offline ({}); trying again", deviceId, failure.getMessage());
          if (e.sessionId == null) startGrace(deviceId, e, MAX_BACKOFF_MS);
        })
        .recover(failure -> Future.succeededFuture());
  }

  private void forgetIfIdle(String deviceId, Entry e) {
    if (e.sessionId == null && e.graceTimer < 0 && devices.get(deviceId) == e) devices.remove(deviceId);
  }

  private void cancelGrace(Entry e) {
    if (e.graceTimer >= 0) {
      vertx.cancelTimer(e.graceTimer);
      e.graceTimer = -1;
    }
  }
}
