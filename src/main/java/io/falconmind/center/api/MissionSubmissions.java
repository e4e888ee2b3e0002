package io.falconmind.center.api;

import io.falconmind.center.app.CenterConfig;
import io.falconmind.center.control.MissionSpec;
import io.falconmind.center.control.Requirements;
import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Turns a submission that already passed the contract's schema into a {@link MissionSpec}: fills
 * the configured defaults, checks what a schema cannot (the deadline is in the future, the header
 * and body idempotency keys agree), gives the mission its id and hashes the request. Pure; the
 * clock and the id source are injected.
 */
final class MissionSubmissions {

  private static final DateTimeFormatter RFC3339 = new DateTimeFormatterBuilder()
      .parseCaseInsensitive().append(DateTimeFormatter.ISO_OFFSET_DATE_TIME).toFormatter();

  private final CenterConfig.Missions config;
  private final LongSupplier clock;
  private final Supplier<String> ids;

  MissionSubmissions(CenterConfig.Missions config, LongSupplier clock, Supplier<String> ids) {
    this.config = config;
    this.clock = clock;
    this.ids = ids;
  }

  MissionSubmissions(CenterConfig.Missions config) {
    this(config, System::currentTimeMillis, () -> UUID.randomUUID().toString());
  }

  /**
   * @param body      the validated submission
   * @param headerKey the {@code Idempotency-Key} header, or null
   * @param pointer   JSON pointer of the submission in the request body ("" or "/missions/3"),
   *                  used to name offending fields
   * @throws ApiException 400 when the deadline has passed or the two idempotency keys differ
   */
  MissionSpec toSpec(JsonObject body, String headerKey, String pointer) {
    String bodyKey = body.getString("idempotencyKey");
    if (headerKey != null && bodyKey != null && !headerKey.equals(bodyKey)) {
      throw ApiException.invalidField(pointer + "/idempotencyKey",
          "differs from the Idempotency-Key header ('" + headerKey + "')");
    }
    String key = headerKey != null ? headerKey : bodyKey;
    Long deadline = deadline(body.getString("deadline"), pointer + "/deadline");
    JsonObject hashed = body.copy();
    hashed.remove("idempotencyKey");
    return new MissionSpec(ids.get(), body.getString("type"), body.getInteger("priority", 50),
        body.getJsonObject("payload", new JsonObject()).copy(),
        Requirements.fromJson(body.getJsonObject("requirements")),
        body.getInteger("timeoutSec", config.defaultTimeoutSec()),
        body.getInteger("maxAttempts", config.defaultMaxAttempts()), deadline, key,
        RequestHash.of(hashed));
  }

  private Long deadline(String text, String pointer) {
    if (text == null) return null;
    long at;
    try {
      at = OffsetDateTime.parse(text, RFC3339).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      throw ApiException.invalidField(pointer, "not an RFC 3339 date-time: '" + text + "'");
    }
    if (at <= clock.getAsLong()) throw ApiException.invalidField(pointer, "is in the past (" + text + ")");
    return at;
  }
}
