package io.falconmind.center.it.cluster;

/** Reads counters from a node's Prometheus {@code /metrics}. */
final class NodeMetrics {
  private NodeMetrics() {
  }

  /** The sum of every series of {@code name} (any labels); 0 when the node does not export it; -1 when it does not answer. */
  static double sum(NodeHttp http, String name) {
    NodeHttp.Reply r = http.get("/metrics");
    if (r.status() != 200) return -1;
    double total = 0;
    for (String line : r.body().split("\n")) {
      if (line.startsWith("#")) continue;
      if (!(line.startsWith(name + "{") || line.startsWith(name + " "))) continue;
      String value = line.substring(line.lastIndexOf(' ') + 1);
      total += Double.parseDouble(value);
    }
    return total;
  }
}
