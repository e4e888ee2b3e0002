package io.falconmind.center.sim;

import java.util.Random;

/** Positions on the earth for simulated devices (small distances: a flat-earth approximation). */
final class Geo {
  private static final double KM_PER_DEG_LAT = 111.32;

  private Geo() {
  }

  /** A point uniformly distributed in the area's disc: {lat, lon}. */
  static double[] randomPointIn(SimOptions.Area area, Random random) {
    double r = area.radiusKm() * Math.sqrt(random.nextDouble());
    double theta = random.nextDouble() * 2 * Math.PI;
    return offset(area.lat(), area.lon(), r * Math.cos(theta), r * Math.sin(theta));
  }

  /** A random step of about {@code stepKm}; a step that would leave the area heads back to its centre. */
  static double[] wander(double lat, double lon, double stepKm, SimOptions.Area area, Random random) {
    double theta = random.nextDouble() * 2 * Math.PI;
    double[] next = offset(lat, lon, stepKm * Math.cos(theta), stepKm * Math.sin(theta));
    if (distanceKm(next[0], next[1], area.lat(), area.lon()) <= area.radiusKm()) return next;
    double toCentreLat = (area.lat() - lat) * KM_PER_DEG_LAT;
    double toCentreLon = (area.lon() - lon) * KM_PER_DEG_LAT * Math.cos(Math.toRadians(lat));
    double d = Math.hypot(toCentreLat, toCentreLon);
    if (d == 0) return new double[] {lat, lon};
    return offset(lat, lon, stepKm * toCentreLat / d, stepKm * toCentreLon / d);
  }

  static double distanceKm(double lat1, double lon1, double lat2, double lon2) {
    double dLat = (lat2 - lat1) * KM_PER_DEG_LAT;
    double dLon = (lon2 - lon1) * KM_PER_DEG_LAT * Math.cos(Math.toRadians((lat1 + lat2) / 2));
    return Math.hypot(dLat, dLon);
  }

  private static double[] offset(double lat, double lon, double northKm, double eastKm) {
    double nextLat = lat + northKm / KM_PER_DEG_LAT;
    double cos = Math.max(1e-6, Math.cos(Math.toRadians(lat)));
    return new double[] {nextLat, lon + eastKm / (KM_PER_DEG_LAT * cos)};
  }
}
