package io.falconmind.center.control;

import java.util.List;

/**
 * Published by the store once a group commit is durable: every command up to {@code index} and
 * every event up to {@code seq} is in PostgreSQL. {@code events} are the newly persisted ones, in
 * order. Everything the outside world sees (feeds, deliveries to devices, acknowledgements) follows
 * this stream, so nothing shown is ever lost by a crash.
 */
public record PersistedEvents(long index, long seq, List<Event> events) {
}
