package io.falconmind.center.store;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Epoch milliseconds (the control records' time) to and from PostgreSQL {@code timestamptz}. */
final class PgTime {
  private PgTime() {
  }

  static OffsetDateTime of(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).atOffset(ZoneOffset.UTC);
  }

  static long millis(OffsetDateTime time) {
    return time.toInstant().toEpochMilli();
  }
}
