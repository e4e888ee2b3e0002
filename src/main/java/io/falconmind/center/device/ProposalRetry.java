package io.falconmind.center.device;

import io.falconmind.center.control.ControlException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * Runs a control-plane operation again while it fails with a 503 {@link ControlException} (no
 * leader, overloaded), waiting {@code baseDelayMs}, then twice as long, and so on, at most
 * {@code attempts} times in all. Any other failure, and the last 503, is returned as is. Timers run
 * on the caller's context; use from one context only.
 */
public final class ProposalRetry {

  private final Vertx vertx;
  private final int attempts;
  private final long baseDelayMs;

  public ProposalRetry(Vertx vertx, int attempts, long baseDelayMs) {
    if (attempts < 1) throw new IllegalArgumentException("attempts must be at least 1");
    this.vertx = vertx;
    this.attempts = attempts;
    this.baseDelayMs = baseDelayMs;
  }

  public <T> Future<T> run(Supplier<Future<T>> operation) {
    return attempt(operation, 1);
  }

  private <T> Future<T> attempt(Supplier<Future<T>> operation, int n) {
    return operation.get().recover(failure -> {
      if (n >= attempts || !isRetryable(failure)) return Future.failedFuture(failure);
      long delay = baseDelayMs << Math.min(n - 1, 16);
      return vertx.timer(delay).compose(v -> attempt(operation, n + 1));
    });
  }

  static boolean isRetryable(Throwable failure) {
    return failure instanceof ControlException ce && ce.status() == 503;
  }
}
