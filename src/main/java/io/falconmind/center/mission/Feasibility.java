package io.falconmind.center.mission;

import io.falconmind.center.control.Mission;
import io.falconmind.center.control.Requirements;

import java.util.List;
import java.util.Map;

/**
 * One feasibility check of a device for a mission. Returns why the device cannot take the mission,
 * or null when it can. Checks are small and independent so that an operator can be told exactly
 * which one filtered a device.
 */
@FunctionalInterface
interface Feasibility {

  String reject(Mission mission, Candidate device);

  Feasibility ONLINE = (m, d) -> d.device().online() ? null : "offline";
  Feasibility NOT_DRAINING = (m, d) -> d.device().draining() ? "draining" : null;
  Feasibility FREE_CAPACITY = (m, d) -> d.freeCapacity() > 0 ? null
      : "at capacity (" + d.load() + "/" + d.device().capacity() + ")";

  Feasibility CAPABILITIES = (m, d) -> {
    List<String> wanted = m.requirements().capabilities();
    for (String c : wanted) {
      if (!d.device().capabilities().contains(c)) return "lacks capability " + c;
    }
    return null;
  };

  Feasibility KIND = (m, d) -> {
    String kind = m.requirements().kind();
    return kind == null || kind.equals(d.device().kind()) ? null
        : "kind " + d.device().kind() + " is not " + kind;
  };

  Feasibility LABELS = (m, d) -> {
    for (Map.Entry<String, String> e : m.requirements().labels().entrySet()) {
      if (!e.getValue().equals(d.device().labels().get(e.getKey()))) {
        return "label " + e.getKey() + " is not " + e.getValue();
      }
    }
    return null;
  };

  Feasibility MIN_BATTERY = (m, d) -> {
    Double min = m.requirements().minBattery();
    if (min == null) return null;
    if (d.battery() == null) return "battery unknown (needs " + min + "%)";
    return d.battery() >= min ? null : "battery " + d.battery() + "% below " + min + "%";
  };

  Feasibility NEAR = (m, d) -> {
    Requirements.Near near = m.requirements().near();
    if (near == null) return null;
    if (d.lat() == null || d.lon() == null) return "position unknown";
    double km = GreatCircle.km(near.lat(), near.lon(), d.lat(), d.lon());
    return km <= near.radiusKm() ? null
        : String.format("%.1f km away (limit %.1f km)", km, near.radiusKm());
  };

  /** Every check, cheapest first. */
  List<Feasibility> ALL = List.of(ONLINE, NOT_DRAINING, FREE_CAPACITY, KIND, CAPABILITIES, LABELS,
      MIN_BATTERY, NEAR);
}
