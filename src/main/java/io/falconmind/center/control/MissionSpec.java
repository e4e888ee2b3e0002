package io.falconmind.center.control;

import io.vertx.core.json.JsonObject;

/**
 * A validated mission as submitted by an operator; the proposer assigns the id.
 *
 * @param requestHash digest of the submitted body, to tell a retry from a different request
 *                    that reuses an idempotency key
 */
public record MissionSpec(String id, String type, int priority, JsonObject payload,
                          Requirements requirements, int timeoutSec, int maxAttempts, Long deadline,
                          String idempotencyKey, String requestHash) {
}
