package io.falconmind.center.raft;

import io.falconmind.center.control.Attempt;
import io.falconmind.center.control.AttemptOutcome;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlSnapshot;
import io.falconmind.center.control.ControlState.KeyUse;
import io.falconmind.center.control.Device;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;
import io.falconmind.center.control.Requirements;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.Deflater;

import static io.falconmind.center.raft.CommandSamples.T0;
import static io.falconmind.center.raft.CommandSamples.busyFleet;
import static io.falconmind.center.raft.CommandSamples.story;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class SnapshotCodecTest {

  private static final Logger log = LoggerFactory.getLogger(SnapshotCodecTest.class);

  @Test
  void everyFieldOfDevicesMissionsAttemptsAndKeysSurvives() {
    Device device = fullDevice();
    Mission mission = fullMission();
    assertEveryComponentSet(device);
    assertEveryComponentSet(mission);
    assertEveryComponentSet(mission.attempts().get(0));
    ControlSnapshot snapshot = new ControlSnapshot(812, 4_021, List.of(device, bareDevice()),
        List.of(mission, bareMission()), Map.of("order-17", new KeyUse("m1", "3f7a9c", T0 + 5),
        "no-hash", new KeyUse("m2", null, T0)), 9);

    ControlSnapshot decoded = roundTrip(snapshot);

    assertThat(decoded).isEqualTo(snapshot);
    assertThat(decoded.devices().get(0).tokenHash()).isEqualTo("c0ffee$9f86d081884c");
    assertThat(decoded.devices().get(0).activeMissions()).containsExactly("m1", "m7");
  }

  @Test
  void theSnapshotAfterEveryStepOfAStoryRoundTripsToAnEqualOne() {
    Replica replica = Replica.fresh();
    for (Command command : story()) {
      replica.apply(command);
      ControlSnapshot snapshot = replica.state.snapshot();

      assertThat(roundTrip(snapshot)).as("after %s", command).isEqualTo(snapshot);
    }
  }

  @Test
  void aStateRestoredFromADecodedSnapshotGoesOnLikeTheOriginal() {
    List<Command> story = story();
    for (int k = 0; k <= story.size(); k++) {
      Replica original = Replica.fresh().applyAll(story.subList(0, k));
      ControlSnapshot snapshot = original.state.snapshot();
      Replica restored = Replica.restoredFrom(roundTrip(snapshot));
      Replica restoredWithoutCodec = Replica.restoredFrom(snapshot);
      assertThat(restored.contents()).as("restored after %d commands", k).isEqualTo(restoredWithoutCodec.contents());
      assertThat(sortedActive(restored.contents())).isEqualTo(sortedActive(original.contents()));

      for (Command command : story.subList(k, story.size())) {
        List<Object> expected = original.apply(command);
        List<Object> outcome = restored.apply(command);
        assertThat(outcome).as("%s after a restore at %d", command, k).isEqualTo(restoredWithoutCodec.apply(command));
        assertThat(sortedActive(outcome)).as("%s after a restore at %d", command, k).isEqualTo(sortedActive(expected));
      }
      assertThat(restored.contents()).isEqualTo(restoredWithoutCodec.contents());
      assertThat(sortedActive(restored.contents())).isEqualTo(sortedActive(original.contents()));
    }
  }

  /**
   * {@code ControlState.restore} rebuilds each device's active missions in the order of the
   * snapshot's mission list, not in the order they were assigned, so a restored state may list
   * them differently from the state it was taken from, codec or not.
   */
  private static Object sortedActive(Object value) {
    if (value instanceof Device d) {
      return new Device(d.id(), d.name(), d.tokenHash(), d.kind(), d.capabilities(), d.capacity(), d.specs(),
          d.labels(), d.online(), d.nodeId(), d.draining(), d.registeredAt(), d.updatedAt(), d.connectedAt(),
          d.disconnectedAt(), d.activeMissions().stream().sorted().toList());
    }
    if (value instanceof List<?> list) return list.stream().map(SnapshotCodecTest::sortedActive).toList();
    if (value instanceof Map<?, ?> map) {
      Map<Object, Object> out = new java.util.TreeMap<>();
      map.forEach((k, v) -> out.put(k, sortedActive(v)));
      return out;
    }
    return value;
  }

  @Test
  void aLargeSnapshotIsCompressedAndFarSmallerThanItsJson() {
    ControlSnapshot snapshot = Replica.fresh().applyAll(busyFleet(200, 2_000)).state.snapshot();

    Buffer frame = SnapshotCodec.encode(snapshot);
    int json = json(snapshot).length;
    int binary = new WireReader(frame, 1, frame.length()).readUnsignedInt();
    log.info("snapshot of {} devices, {} missions, {} keys: {} bytes binary, {} bytes binary+deflate; JSON {} bytes, "
            + "deflated JSON {} bytes", snapshot.devices().size(), snapshot.missions().size(), snapshot.keys().size(),
        binary, frame.length(), json, deflated(json(snapshot)));

    assertThat(frame.getByte(0)).as("deflated format").isEqualTo((byte) 2);
    assertThat(roundTrip(snapshot)).isEqualTo(snapshot);
    assertThat(frame.length()).isLessThan(json / 4);
  }

  @Test
  void aSmallSnapshotIsNotCompressed() {
    ControlSnapshot snapshot = new ControlSnapshot(1, 1, List.of(bareDevice()), List.of(), Map.of(), 1);

    Buffer frame = SnapshotCodec.encode(snapshot);

    assertThat(frame.getByte(0)).as("plain format").isEqualTo((byte) 1);
    assertThat(SnapshotCodec.decode(frame)).isEqualTo(snapshot);
  }

  @Test
  void refusesTruncatedCorruptAndUnknownFrames() {
    Buffer plain = SnapshotCodec.encode(new ControlSnapshot(3, 4, List.of(fullDevice()), List.of(fullMission()),
        Map.of(), 1));
    Buffer deflated = SnapshotCodec.encode(Replica.fresh().applyAll(busyFleet(20, 100)).state.snapshot());
    assertThat(plain.getByte(0)).isEqualTo((byte) 1);
    assertThat(deflated.getByte(0)).isEqualTo((byte) 2);

    for (Buffer frame : List.of(plain, deflated)) {
      for (int n = 0; n < frame.length(); n += frame.length() > 2000 ? 97 : 1) {
        Buffer cut = frame.getBuffer(0, n);
        assertThatThrownBy(() -> SnapshotCodec.decode(cut)).as("cut to %d", n)
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
    assertThatThrownBy(() -> SnapshotCodec.decode(Buffer.buffer(new byte[] {7, 0})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown snapshot format 7");

    Buffer bomb = new WireWriter().writeByte(2).writeUnsigned(Integer.MAX_VALUE).writeByte(0x78).buffer();
    assertThatThrownBy(() -> SnapshotCodec.decode(bomb)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("impossible");

    // the zlib checksum catches a flipped bit, unless the bit is padding and the content is intact
    ControlSnapshot intact = SnapshotCodec.decode(deflated);
    Random random = new Random(42);
    for (int i = 0; i < 300; i++) {
      Buffer flipped = deflated.copy();
      int at = 1 + random.nextInt(flipped.length() - 1);
      flipped.setByte(at, (byte) (flipped.getByte(at) ^ (1 << random.nextInt(8))));
      Throwable thrown = catchThrowable(() -> assertThat(SnapshotCodec.decode(flipped)).isEqualTo(intact));
      if (thrown != null) assertThat(thrown).as("bit flipped at %d", at).isInstanceOf(IllegalArgumentException.class);
    }
    for (int i = 0; i < 2_000; i++) {
      Buffer flipped = plain.copy();
      int at = random.nextInt(flipped.length());
      flipped.setByte(at, (byte) random.nextInt(256));
      Throwable thrown = catchThrowable(() -> SnapshotCodec.decode(flipped));
      if (thrown != null) assertThat(thrown).as("byte %d replaced", at).isInstanceOf(IllegalArgumentException.class);
    }
  }

  // ---- samples -------------------------------------------------------------------------------

  private static Device fullDevice() {
    return new Device("d1", "Drone One ✈", "c0ffee$9f86d081884c", "drone", List.of("camera", "lidar"), 2,
        CommandSamples.specs(), Map.of("site", "north", "fw", "1.4.2"), true, "node-b", true, T0, T0 + 50,
        T0 + 20, T0 + 10, List.of("m1", "m7"));
  }

  private static Device bareDevice() {
    return new Device("d2", null, null, null, List.of(), 0, null, Map.of(), false, null, false, 0, 0, null, null,
        List.of());
  }

  private static Mission fullMission() {
    JsonObject error = new JsonObject().put("code", "wind").put("message", "too windy").put("retryable", true);
    Attempt first = new Attempt(1, "d2", T0 + 100, T0 + 110, T0 + 120, T0 + 130, AttemptOutcome.FAILED, error);
    Attempt second = new Attempt(2, "d1", T0 + 2_000, T0 + 2_010, T0 + 2_020, null, null, null);
    Requirements requirements = new Requirements(List.of("camera"), "drone", Map.of("site", "north"), 35.5,
        new Requirements.Near(48.15, -11.55, 0.25));
    return new Mission("m1", "survey", 80, new JsonObject().put("area", new JsonArray().add(1).add(2.5)),
        requirements, 600, 3, T0 + 86_400_000L, "order-17", MissionState.RUNNING, "d1", 2, List.of(first, second),
        42, new JsonObject().put("partial", true), error, T0, T0 + 2_020, T0 + 1_500, T0 + 99_000);
  }

  private static Mission bareMission() {
    return new Mission("m2", null, 0, null, null, 0, 0, null, null, MissionState.QUEUED, null, 0, List.of(), null,
        null, null, 0, 0, 0, null);
  }

  /** Guards the samples: a component left at its default would not show a field the codec drops. */
  private static void assertEveryComponentSet(Record record) {
    for (RecordComponent c : record.getClass().getRecordComponents()) {
      Object value;
      try {
        value = c.getAccessor().invoke(record);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
      assertThat(value).as("%s.%s", record.getClass().getSimpleName(), c.getName()).isNotNull()
          .isNotIn(0, 0L, false, 0.0);
      if (value instanceof Collection<?> collection) assertThat(collection).as(c.getName()).isNotEmpty();
      if (value instanceof Map<?, ?> map) assertThat(map).as(c.getName()).isNotEmpty();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static ControlSnapshot roundTrip(ControlSnapshot snapshot) {
    return SnapshotCodec.decode(SnapshotCodec.encode(snapshot));
  }

  private static byte[] json(ControlSnapshot s) {
    JsonArray devices = new JsonArray();
    s.devices().forEach(d -> devices.add(d.toStoredJson()));
    JsonArray missions = new JsonArray();
    s.missions().forEach(m -> missions.add(m.toJson()));
    JsonObject keys = new JsonObject();
    s.keys().forEach((k, use) -> keys.put(k, new JsonObject().put("missionId", use.missionId())
        .put("requestHash", use.requestHash()).put("at", use.at())));
    return new JsonObject().put("index", s.index()).put("seq", s.seq()).put("term", s.term())
        .put("devices", devices).put("missions", missions).put("keys", keys).toBuffer().getBytes();
  }

  private static int deflated(byte[] bytes) {
    Deflater deflater = new Deflater();
    deflater.setInput(bytes);
    deflater.finish();
    byte[] out = new byte[bytes.length + 64];
    int n = 0;
    while (!deflater.finished()) n += deflater.deflate(out, n, out.length - n);
    deflater.end();
    return n;
  }
}
