package io.falconmind.center.raft;

import io.falconmind.center.control.AttemptOutcome;
import io.falconmind.center.control.AttemptStatus;
import io.falconmind.center.control.MissionState;
import io.microraft.MembershipChangeMode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireCodecTest {

  @Test
  void numbersRoundTripAtTheirLimits() {
    long[] values = {0, 1, 127, 128, 16_383, 16_384, Integer.MAX_VALUE, Long.MAX_VALUE, -1, Long.MIN_VALUE};
    WireWriter w = new WireWriter();
    for (long v : values) w.writeUnsigned(v).writeSigned(v).writeTime(v).writeDouble(v / 3.0);
    w.writeUnsigned(-7).writeSigned(Integer.MIN_VALUE).writeDouble(Double.NaN).writeBoolean(true).writeByte(255);

    WireReader r = new WireReader(w.buffer());
    for (long v : values) {
      assertThat(r.readUnsignedLong()).isEqualTo(v);
      assertThat(r.readSignedLong()).isEqualTo(v);
      assertThat(r.readTime()).isEqualTo(v);
      assertThat(r.readDouble()).isEqualTo(v / 3.0);
    }
    assertThat(r.readUnsignedInt()).isEqualTo(-7);
    assertThat(r.readSignedInt()).isEqualTo(Integer.MIN_VALUE);
    assertThat(r.readDouble()).isNaN();
    assertThat(r.readBoolean()).isTrue();
    assertThat(r.readByte()).isEqualTo(255);
    r.expectEnd();
  }

  @Test
  void smallValuesAndNearbyTimesTakeOneByte() {
    assertThat(bytes(w -> w.writeUnsigned(127))).isEqualTo(1);
    assertThat(bytes(w -> w.writeSigned(-64))).isEqualTo(1);
    assertThat(bytes(w -> w.writeTime(1_700_000_000_000L).writeTime(1_700_000_000_050L)))
        .isEqualTo(bytes(w -> w.writeTime(1_700_000_000_000L)) + 1);
  }

  @Test
  void stringsRoundTripInEveryForm() {
    List<String> values = Arrays.asList("", "d1", "Überflug café ☕ 🚁", null, "node-a",
        UUID.randomUUID().toString(), "3f7a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a",
        "abcdef012", "ABCDEF0123", "deadbeef", "3F7A9C1E-5B2D-4F6A-8C0E-2B4D6F8A0C2E",
        "3f7a9c1e_5b2d_4f6a_8c0e_2b4d6f8a0c2e", "x".repeat(70_000), "d1", "node-a", null);

    WireWriter w = new WireWriter();
    values.forEach(w::writeNullableString);
    WireReader r = new WireReader(w.buffer());
    List<String> read = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) read.add(r.readNullableString());
    r.expectEnd();

    assertThat(read).isEqualTo(values);
  }

  @Test
  void aRepeatedStringCostsOneByteAndDigestsAndUuidsArePacked() {
    String uuid = "5eed0000-0000-4000-8000-000000000000";
    String digest = "3f7a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a";

    assertThat(bytes(w -> w.writeString("node-a").writeString("node-a"))).isEqualTo(7 + 1);
    assertThat(bytes(w -> w.writeString(uuid))).isEqualTo(1 + 16);
    assertThat(bytes(w -> w.writeString(digest))).isEqualTo(2 + 32);
    assertThat(bytes(w -> w.writeNullableString(null))).isEqualTo(1);
  }

  @Test
  void jsonKeepsItsValuesAndTheirTypes() {
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("inner", 1);
    JsonObject json = new JsonObject()
        .put("int", 42).put("long", 12_000_000_000L).put("smallLong", 5L).put("double", 48.1003)
        .put("nan", Double.NaN).put("text", "café").put("yes", true).put("no", false).putNull("nothing")
        .put("object", new JsonObject().put("a", new JsonArray().add(1).add("b").addNull().add(new JsonObject())))
        .put("rawMap", raw).put("rawList", new ArrayList<>(List.of(1, 2)))
        .put("bigInt", new BigInteger("123456789012345678901234567890"))
        .put("bigDecimal", new BigDecimal("1.5")).put("short", (short) 3);

    JsonObject read = roundTrip(json);

    assertThat(read).isEqualTo(json);
    assertThat(read.encode()).isEqualTo(json.encode());
    // as with JSON text, a float reads back as the double its text denotes
    assertThat(roundTrip(new JsonObject().put("float", 0.1f)).getValue("float")).isEqualTo(0.1);
    assertThat(read.getValue("long")).isInstanceOf(Long.class);
    assertThat(read.getValue("smallLong")).isEqualTo(5L);
    assertThat(read.getValue("int")).isInstanceOf(Integer.class);
    assertThat(read.getValue("double")).isEqualTo(48.1003);
    assertThat(read.getValue("bigInt")).isEqualTo(new BigInteger("123456789012345678901234567890"));
    assertThat(read.getJsonObject("rawMap")).isEqualTo(new JsonObject().put("inner", 1));
    assertThat(roundTrip(new JsonObject())).isEqualTo(new JsonObject());
    assertThat(roundTrip(null)).isNull();
  }

  @Test
  void deeplyNestedJsonRoundTripsAsTextAndAFrameCannotNestBinaryJsonDeeper() {
    JsonObject deep = new JsonObject();
    JsonObject at = deep;
    for (int i = 0; i < 600; i++) {
      JsonObject next = new JsonObject().put("level", i);
      at.put("n", i % 2 == 0 ? next : new JsonArray().add(next));
      at = next;
    }
    assertThat(roundTrip(deep)).isEqualTo(deep);

    Buffer nested = Buffer.buffer();
    nested.appendByte((byte) WireWriter.JSON_OBJECT).appendByte((byte) 1).appendByte((byte) 8).appendString("k");
    for (int i = 0; i < 10_000; i++) nested.appendByte((byte) WireWriter.JSON_ARRAY).appendByte((byte) 1);
    assertThatThrownBy(() -> new WireReader(nested).readJson()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nested deeper");
  }

  @Test
  void collectionsTellNullFromEmpty() {
    WireWriter w = new WireWriter().writeStrings(null).writeStrings(List.of()).writeStrings(List.of("a", "b"))
        .writeStringMap(null).writeStringMap(Map.of()).writeStringMap(Map.of("site", "north"))
        .writeBytes(null).writeBytes(Buffer.buffer("raw")).writeNullable(null, WireWriter::writeTime)
        .writeNullable(5L, WireWriter::writeTime).writeEnum(null).writeEnum(MissionState.EXPIRED);

    WireReader r = new WireReader(w.buffer());

    assertThat(r.readStrings()).isNull();
    assertThat(r.readStrings()).isEmpty();
    assertThat(r.readStrings()).containsExactly("a", "b");
    assertThat(r.readStringMap()).isNull();
    assertThat(r.readStringMap()).isEmpty();
    assertThat(r.readStringMap()).containsExactly(Map.entry("site", "north"));
    assertThat(r.readBytes()).isNull();
    assertThat(r.readBytes().toString()).isEqualTo("raw");
    assertThat(r.<Long>readNullable(WireReader::readTime)).isNull();
    assertThat(r.<Long>readNullable(WireReader::readTime)).isEqualTo(5L);
    assertThat(r.readEnum(MissionState.values())).isNull();
    assertThat(r.readEnum(MissionState.values())).isEqualTo(MissionState.EXPIRED);
    r.expectEnd();
  }

  /** Enums travel by ordinal: reordering or removing a constant would change what the bytes mean. */
  @Test
  void enumConstantsOnTheWireKeepTheirOrder() {
    assertThat(AttemptStatus.values()).startsWith(AttemptStatus.ACCEPTED, AttemptStatus.REJECTED,
        AttemptStatus.RUNNING, AttemptStatus.SUCCEEDED, AttemptStatus.FAILED);
    assertThat(MissionState.values()).startsWith(MissionState.QUEUED, MissionState.ASSIGNED, MissionState.RUNNING,
        MissionState.SUCCEEDED, MissionState.FAILED, MissionState.CANCELED, MissionState.EXPIRED);
    assertThat(AttemptOutcome.values()).startsWith(AttemptOutcome.SUCCEEDED, AttemptOutcome.FAILED,
        AttemptOutcome.REJECTED, AttemptOutcome.TIMED_OUT, AttemptOutcome.DEVICE_LOST, AttemptOutcome.CANCELED);
    assertThat(MembershipChangeMode.values()).startsWith(MembershipChangeMode.ADD_LEARNER,
        MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER, MembershipChangeMode.REMOVE_MEMBER);
  }

  @Test
  void malformedInputFailsWithWhatAndWhere() {
    assertMalformed(new byte[] {}, r -> r.readByte(), "truncated");
    assertMalformed(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1}, WireReader::readUnsignedLong,
        "overflows 64 bits");
    assertMalformed(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, 2}, WireReader::readUnsignedLong, "overflows");
    assertMalformed(new byte[] {-1, -1, -1}, WireReader::readUnsignedLong, "truncated");
    assertMalformed(new byte[] {-128, -128, -128, -128, 16}, WireReader::readUnsignedInt, "out of int range");
    assertMalformed(new byte[] {2}, WireReader::readBoolean, "boolean 2");
    // a string header claiming 2^40 bytes, followed by three
    assertMalformed(bytes(new WireWriter().writeUnsigned(1L << 44).writeByte(1).writeByte(2).writeByte(3)),
        WireReader::readString, "exceeds the 3 remaining bytes");
    assertMalformed(bytes(new WireWriter().writeUnsigned(Integer.MAX_VALUE)), WireReader::readStrings, "exceeds");
    assertMalformed(new byte[] {7}, WireReader::readString, "reference to string 3 of 0");
    assertMalformed(new byte[] {1}, WireReader::readString, "null where a string is required");
    assertMalformed(new byte[] {6}, WireReader::readString, "unknown string form 3");
    assertMalformed(new byte[] {8}, r -> r.readEnum(AttemptStatus.values()), "no constant 7 in AttemptStatus");
    assertMalformed(new byte[] {WireWriter.JSON_STRING, 8, 'x'}, WireReader::readJson, "where an object belongs");
    assertMalformed(new byte[] {WireWriter.JSON_OBJECT, 1, 8, 'k', 42}, WireReader::readJson, "unknown JSON value");
    assertMalformed(new byte[] {WireWriter.JSON_OBJECT, 1, 8, 'k', WireWriter.JSON_TEXT, 16, '{', '['},
        WireReader::readJson, "not JSON");
    assertMalformed(new byte[] {0, 0, 0}, r -> {
      r.readByte();
      r.expectEnd();
    }, "2 unread bytes");
  }

  private static void assertMalformed(byte[] frame, Consumer<WireReader> read, String problem) {
    assertThatThrownBy(() -> read.accept(new WireReader(Buffer.buffer(frame))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(problem);
  }

  private static JsonObject roundTrip(JsonObject json) {
    WireReader r = new WireReader(new WireWriter().writeJson(json).buffer());
    JsonObject read = r.readJson();
    r.expectEnd();
    return read;
  }

  private static int bytes(Consumer<WireWriter> write) {
    WireWriter w = new WireWriter();
    write.accept(w);
    return w.buffer().length();
  }

  private static byte[] bytes(WireWriter w) {
    return w.buffer().getBytes();
  }
}
