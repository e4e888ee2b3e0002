package io.falconmind.center.broker;

import io.falconmind.center.mqtt.TopicFilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The retained messages this node knows, one per topic; in a cluster, {@link BrokerCluster} keeps
 * them current with everyone's. Thread-safe.
 */
final class RetainedMessages {

  private final Map<String, Publication> byTopic = new ConcurrentHashMap<>();

  /** Keeps {@code p} as the retained message of its topic, or clears the topic's with an empty payload. */
  void keep(Publication p) {
    if (p.payload().length() == 0) {
      byTopic.remove(p.topic());
    } else {
      byTopic.put(p.topic(), p);
    }
  }

  void clear(String topic) {
    byTopic.remove(topic);
  }

  int size() {
    return byTopic.size();
  }

  /** The retained messages whose topics {@code filter} matches and that have not expired by {@code now}; expired ones are forgotten. */
  List<Publication> matching(String filter, long now) {
    List<Publication> found = new ArrayList<>();
    for (Publication p : byTopic.values()) {
      if (p.expired(now)) {
        byTopic.remove(p.topic(), p);
      } else if (TopicFilter.matches(filter, p.topic())) {
        found.add(p);
      }
    }
    return found;
  }
}
