package io.falconmind.center.it;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/** Polls a condition until it holds or a deadline passes; the test's way to wait without sleeping blindly. */
public final class Eventually {
  private Eventually() {
  }

  public static <T> T until(Duration timeout, String what, Callable<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    Exception lastError = null;
    while (System.nanoTime() < deadline) {
      try {
        last = probe.call();
        if (done.test(last)) return last;
        lastError = null;
      } catch (Exception e) {
        lastError = e;
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    AssertionError failure = new AssertionError("timed out after " + timeout + " waiting for " + what
        + (last == null ? "" : "; last seen: " + last));
    if (lastError != null) failure.initCause(lastError);
    throw failure;
  }
}
