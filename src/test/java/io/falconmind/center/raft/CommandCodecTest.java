package io.falconmind.center.raft;

import io.falconmind.center.control.Command;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.falconmind.center.raft.CommandSamples.byType;
import static io.falconmind.center.raft.CommandSamples.commandTypes;
import static io.falconmind.center.raft.CommandSamples.setting;
import static io.falconmind.center.raft.CommandSamples.story;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandCodecTest {

  @Test
  void everyCommandTypeHasASampleThatRoundTripsToAnEqualCommand() {
    Map<Class<?>, List<Command>> samples = byType();

    for (Class<?> type : commandTypes()) {
      assertThat(samples).as("a sample of %s, and codec support for it", type.getName()).containsKey(type);
      for (Command command : samples.get(type)) {
        assertThat(roundTrip(command)).as("%s", command).isEqualTo(command);
      }
    }
  }

  @Test
  void aDecodedCommandDoesToTheStateWhatTheOriginalDoes() {
    for (List<Command> commands : byType().values()) {
      for (Command command : commands) {
        Replica original = Replica.fresh().applyAll(setting());
        Replica decoded = Replica.fresh().applyAll(setting());

        assertThat(decoded.apply(roundTrip(command))).as("%s", command).isEqualTo(original.apply(command));
        assertThat(decoded.contents()).isEqualTo(original.contents());
      }
    }
  }

  @Test
  void aStoryReplayedFromDecodedCommandsProducesTheSameEventsAndState() {
    Replica original = Replica.fresh();
    Replica decoded = Replica.fresh();

    for (Command command : story()) {
      List<Object> expected = original.apply(command);
      assertThat(expected.get(0)).as("%s", command).isInstanceOf(Long.class);
      assertThat(decoded.apply(roundTrip(command))).isEqualTo(expected);
    }

    assertThat(decoded.contents()).isEqualTo(original.contents());
    assertThat(original.eventTypes).contains("device.registered", "device.updated", "device.online",
        "device.offline", "device.draining", "device.undrained", "device.removed", "mission.submitted",
        "mission.assigned", "mission.accepted", "mission.running", "mission.progress", "mission.succeeded",
        "mission.retrying", "mission.failed", "mission.expired", "mission.canceled", "cluster.leader");
  }

  @Test
  void theStoryUsesEveryCommandType() {
    assertThat(story()).extracting(Object::getClass).containsAll(commandTypes());
  }

  @Test
  void commandsWrittenToOneFrameReadBackInOrderAndShareRepeatedStrings() {
    List<Command> commands = story();
    WireWriter w = new WireWriter();
    int separately = 0;
    for (Command c : commands) {
      CommandCodec.write(w, c);
      separately += CommandCodec.encode(c).length();
    }

    WireReader r = new WireReader(w.buffer());
    List<Command> read = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) read.add(CommandCodec.read(r));
    r.expectEnd();

    assertThat(read).isEqualTo(commands);
    assertThat(w.buffer().length()).isLessThan(separately * 3 / 4);
  }

  @Test
  void refusesAnUnknownTag() {
    assertThatThrownBy(() -> CommandCodec.decode(Buffer.buffer(new byte[] {63, 0})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown command tag 63");
  }

  @Test
  void refusesEveryTruncationAndTrailingBytes() {
    for (List<Command> commands : byType().values()) {
      for (Command command : commands) {
        Buffer frame = CommandCodec.encode(command);
        for (int n = 0; n < frame.length(); n++) {
          Buffer cut = frame.getBuffer(0, n);
          assertThatThrownBy(() -> CommandCodec.decode(cut)).as("%s cut to %d bytes", command, n)
              .isInstanceOf(IllegalArgumentException.class);
        }
        Buffer longer = frame.copy().appendByte((byte) 0);
        assertThatThrownBy(() -> CommandCodec.decode(longer)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("unread");
      }
    }
  }

  private static Command roundTrip(Command command) {
    return CommandCodec.decode(CommandCodec.encode(command));
  }
}
