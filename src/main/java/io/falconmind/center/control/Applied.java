package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The outcome of applying one command at one log index: the events it produced and the reply for
 * its proposer. A refused command produces no events and a reply with an {@code error} member
 * ({@code status}, {@code code}, {@code detail}).
 */
public record Applied(long index, List<Event> events, JsonObject reply) {

  public boolean refused() {
    return reply.containsKey("error");
  }

  /** The sequence number of the last event, or -1 when there is none. */
  public long lastSeq() {
    return events.isEmpty() ? -1 : events.get(events.size() - 1).seq();
  }
}
