package io.falconmind.center.sim;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class SimulatorTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Simulator.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpPrintsUsageAndSucceeds() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("Usage:").contains("--devices");
  }

  @Test
  void badOptionExitsWithTwoNamingItAndShowsUsage() {
    assertThat(run("--devices", "-3")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--devices").contains("Usage:");
  }

  @Test
  void missingTokenExitsWithTwoSayingWhereItLooked() {
    assertThat(run("--data-dir", "/nonexistent/falconmind")).isIn(0, 2);
    if (System.getenv(AdminToken.ENV) == null) {
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("no admin token").contains("/nonexistent/falconmind");
    }
  }
}
