package io.falconmind.center.store;

import io.vertx.pgclient.PgException;

/**
 * A failure of the store with an HTTP-style status: 400 for a bad request (malformed cursor, limit
 * out of range), 409 for a write that would leave a gap in the persisted events, 503 when
 * PostgreSQL cannot be reached, 500 for anything else. The query consumer
 * turns it into {@code message.fail(status, message)}.
 */
public final class StoreException extends RuntimeException {

  private final int status;

  public StoreException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public static StoreException badRequest(String message) {
    return new StoreException(400, message);
  }

  public int status() {
    return status;
  }

  /**
   * The one place that decides what a database failure means to a caller. SQL errors of the
   * connection, shutdown and resource classes mean the database is unavailable; other SQL errors
   * are our bug; anything that is not a SQL error comes from the connection (refused, closed,
   * timed out) and so also means unavailable.
   */
  public static StoreException from(Throwable t) {
    if (t instanceof StoreException se) return se;
    if (t instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      boolean unavailable = state.startsWith("08") || state.startsWith("53") || state.startsWith("57P");
      return new StoreException(unavailable ? 503 : 500, "database error " + state + ": " + pg.getErrorMessage());
    }
    return new StoreException(503, "database unavailable: " + t.getMessage());
  }
}
