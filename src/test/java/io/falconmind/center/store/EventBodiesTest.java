package io.falconmind.center.store;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.Fleet;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.falconmind.center.control.Fleet.aMission;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventBodiesTest {

  @Test
  void anEventReadBackIsTheEventWritten() {
    Fleet fleet = new Fleet().device("d1", "drone", 1, "camera");
    fleet.submit(aMission("m1").build());
    fleet.assign("m1", "d1", 1);
    Applied done = fleet.report("m1", "d1", 1, AttemptStatus.SUCCEEDED, null);
    for (Event e : done.events()) {
      JsonObject json = e.toJson();
      Buffer stored = EventBodies.encode(e.encoded());
      assertThat(EventBodies.decode(stored)).isEqualTo(json);
      assertThat(stored.length()).isLessThan(json.encode().length());
    }
  }

  @Test
  void refusesABodyThatIsNotACompressedEvent() {
    assertThatThrownBy(() -> EventBodies.decode(Buffer.buffer("{\"seq\":1}")))
        .isInstanceOf(IllegalStateException.class);
  }
}
