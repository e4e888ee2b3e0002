package io.falconmind.center.mqtt;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * QoS 1 messages from the server to one client: packet ids, the in-flight window (at most the
 * client's receive maximum, capped), a bounded queue behind it, and what to send again. Pure; not
 * thread-safe (one session owns it).
 */
final class OutboundWindow {

  /** A QoS 1 message to the client; {@code payload} is the JSON text. Immutable. */
  record Outgoing(String topic, String payload, int packetId) {
  }

  private record InFlight(Outgoing message, long sentAt) {
  }

  private final int window;
  private final int queueLimit;
  private final LinkedHashMap<Integer, InFlight> inFlight = new LinkedHashMap<>();
  private final ArrayDeque<Outgoing> queued = new ArrayDeque<>();
  private int lastId;
  private long dropped;

  OutboundWindow(int window, int queueLimit) {
    this.window = Math.max(1, Math.min(window, 65535));
    this.queueLimit = queueLimit;
  }

  /**
   * Takes a message; returns it with its packet id when it may be sent now, or null when it waits
   * in the queue (or was dropped because the queue is full: see {@link #dropped()}).
   */
  Outgoing offer(String topic, String payload, long now) {
    if (inFlight.size() < window) return send(new Outgoing(topic, payload, 0), now);
    if (queued.size() >= queueLimit) {
      queued.poll();
      dropped++;
    }
    queued.add(new Outgoing(topic, payload, 0));
    return null;
  }

  /** The client acknowledged {@code packetId}; returns the messages that may be sent now. */
  List<Outgoing> acknowledged(int packetId, long now) {
    if (inFlight.remove(packetId) == null) return List.of();
    List<Outgoing> next = new ArrayList<>();
    while (inFlight.size() < window && !queued.isEmpty()) next.add(send(queued.poll(), now));
    return next;
  }

  /** Unacknowledged messages sent at or before {@code sentBefore}, oldest first; marks them re-sent now. */
  List<Outgoing> due(long sentBefore, long now) {
    List<Outgoing> out = new ArrayList<>();
    for (Map.Entry<Integer, InFlight> e : inFlight.entrySet()) {
      if (e.getValue().sentAt() <= sentBefore) {
        out.add(e.getValue().message());
        e.setValue(new InFlight(e.getValue().message(), now));
      }
    }
    return out;
  }

  /** Everything not yet acknowledged: in flight (with packet ids) then queued (packet id 0). */
  List<Outgoing> pending() {
    List<Outgoing> out = new ArrayList<>(inFlight.size() + queued.size());
    for (InFlight f : inFlight.values()) out.add(f.message());
    out.addAll(queued);
    return out;
  }

  /**
   * Takes over the messages of a previous connection: those with a packet id go in flight again
   * (to be re-sent with DUP), the others queue. Returns what may be sent now, in order.
   */
  List<Outgoing> restore(List<Outgoing> previous, long now) {
    List<Outgoing> out = new ArrayList<>();
    for (Outgoing o : previous) {
      if (o.packetId() > 0) {
        inFlight.put(o.packetId(), new InFlight(o, now));
        lastId = o.packetId();
        out.add(o);
      } else if (inFlight.size() < window) {
        out.add(send(o, now));
      } else {
        queued.add(o);
      }
    }
    return out;
  }

  int inFlight() {
    return inFlight.size();
  }

  long dropped() {
    return dropped;
  }

  private Outgoing send(Outgoing o, long now) {
    Outgoing numbered = new Outgoing(o.topic(), o.payload(), nextId());
    inFlight.put(numbered.packetId(), new InFlight(numbered, now));
    return numbered;
  }

  private int nextId() {
    do {
      lastId = lastId >= 65535 ? 1 : lastId + 1;
    } while (inFlight.containsKey(lastId));
    return lastId;
  }
}
