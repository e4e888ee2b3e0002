package io.falconmind.center.mission;

import io.falconmind.center.control.Device;

/**
 * A device as placement sees it: its record, the missions it holds (including ones just planned
 * in this pass) and its last telemetry (soft state; null when never reported).
 */
record Candidate(Device device, int load, Double battery, Double lat, Double lon) {

  String id() {
    return device.id();
  }

  int freeCapacity() {
    return device.capacity() - load;
  }

  double loadRatio() {
    return device.capacity() <= 0 ? 1.0 : (double) load / device.capacity();
  }

  Candidate plusOne() {
    return new Candidate(device, load + 1, battery, lat, lon);
  }
}
