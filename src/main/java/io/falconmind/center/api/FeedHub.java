package io.falconmind.center.api;

import io.falconmind.center.control.Event;
import io.falconmind.center.control.PersistedEvents;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Fans the node's persisted events (in seq order, as {@code ControlClient.PERSISTED} delivers them)
 * and soft signals out to the open feed sessions, and keeps the {@link EventRing} sessions resume
 * from. Each event is encoded to JSON once. Not thread-safe: everything runs on the HTTP verticle's
 * event loop, which also owns the sessions.
 */
public final class FeedHub {

  private final EventRing ring;
  private final Set<FeedSession> sessions = new LinkedHashSet<>();

  public FeedHub(int bufferEvents) {
    this.ring = new EventRing(bufferEvents);
  }

  public EventRing ring() {
    return ring;
  }

  void attach(FeedSession session) {
    sessions.add(session);
  }

  void detach(FeedSession session) {
    sessions.remove(session);
  }

  public int sessionCount() {
    return sessions.size();
  }

  public void onPersisted(PersistedEvents persisted) {
    for (Event event : persisted.events()) publish(FeedEntry.of(event));
  }

  /** One persisted event, in seq order. */
  void publish(FeedEntry entry) {
    ring.append(entry);
    if (sessions.isEmpty()) return;
    for (FeedSession s : new ArrayList<>(sessions)) s.offer(entry);
  }

  /** A soft signal ({@code device.telemetry}, {@code device.progress}); sent only to sessions asking for it. */
  public void onSoft(String type, JsonObject signal) {
    FeedEntry entry = null;
    for (FeedSession s : new ArrayList<>(sessions)) {
      if (!s.filter().wantsSoft(type)) continue;
      if (entry == null) entry = FeedEntry.soft(type, signal);
      s.offer(entry);
    }
  }

  /** Closes every session, e.g. when the verticle stops. */
  public void closeAll(String detail) {
    for (FeedSession s : new ArrayList<>(sessions)) s.shutdown(detail);
  }
}
