package io.falconmind.center.mqtt;

import io.falconmind.center.control.Device;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.PersistedEvents;
import io.falconmind.center.mqtt.ReasonCodes.CloseReason;
import io.vertx.core.json.JsonObject;

/**
 * Turns persisted control events into messages to the devices whose sessions one server instance
 * holds: {@code mission.assigned} → assign, any event with a {@code revoke} → cancel,
 * {@code device.removed} → session closed, {@code device.online} on another node → session taken
 * over. Events of devices held elsewhere are ignored. Runs on the instance's context.
 */
final class EventRouter {

  private final String nodeId;
  private final SessionRegistry sessions;

  EventRouter(String nodeId, SessionRegistry sessions) {
    this.nodeId = nodeId;
    this.sessions = sessions;
  }

  void route(PersistedEvents batch) {
    for (Event e : batch.events()) route(e);
  }

  void route(Event e) {
    JsonObject revoke = e.revoke();
    if (revoke != null) {
      DeviceSession s = sessions.get(revoke.getString("deviceId"));
      if (s != null) s.cancel(revoke.getString("missionId"), revoke.getInteger("attempt", 0), revoke.getString("reason"));
    }
    switch (e.type()) {
      case "mission.assigned" -> {
        Mission m = e.mission();
        DeviceSession s = m == null || m.deviceId() == null ? null : sessions.get(m.deviceId());
        if (s != null) s.assign(m);
      }
      case "device.removed" -> {
        Device d = e.device();
        if (d == null) return;
        DeviceSession s = sessions.get(d.id());
        if (s != null) s.terminate(CloseReason.DEVICE_REMOVED);
        sessions.store().discard(d.id());
      }
      case "device.online" -> {
        Device d = e.device();
        if (d == null || nodeId.equals(d.nodeId())) return;
        DeviceSession s = sessions.get(d.id());
        if (s != null) s.foreignOnline(e.seq());
        sessions.store().discard(d.id());
      }
      case "device.offline" -> {
        // the cluster took the device offline while its session here is open (this node was
        // unreachable for a while): announce it again so it gets missions again
        Device d = e.device();
        DeviceSession s = d == null ? null : sessions.get(d.id());
        if (s != null) s.offlineElsewhere(e.seq());
      }
      default -> {
      }
    }
  }
}
