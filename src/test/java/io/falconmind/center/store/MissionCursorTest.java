package io.falconmind.center.store;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MissionCursorTest {

  @Test
  void roundTripsThroughItsOpaqueForm() {
    MissionCursor cursor = new MissionCursor(1_900_000_000_123L, "m:with:colons");

    String text = cursor.encode();

    assertThat(text).matches("[A-Za-z0-9_-]+");
    assertThat(MissionCursor.decode(text)).isEqualTo(cursor);
  }

  @Test
  void refusesTextItDidNotMake() {
    for (String bad : new String[] {"", "not base64!", "bm90IGEgY3Vyc29y", "MjoxMjM6bQ", "MTphYmM6bQ", "MToxMjM6"}) {
      assertThatThrownBy(() -> MissionCursor.decode(bad)).as(bad)
          .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.status()).isEqualTo(400));
    }
  }
}
