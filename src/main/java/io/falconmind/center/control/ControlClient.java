package io.falconmind.center.control;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * How every other part talks to the control plane of its node: proposals and reads over the local
 * event bus, served by the Raft verticle. Thread-safe; futures complete on the caller's context.
 *
 * <p>Failures are {@link ControlException}s: 503 {@code no-leader} / {@code overloaded} (retry
 * later with the same idempotency key), 504 {@code timeout} (outcome unknown; retry with the same
 * key). A command the state machine refuses is not a failure: it completes with an {@link Applied}
 * whose reply carries the {@code error}.
 */
public final class ControlClient {

  /** Proposals: body {@link Command}, header {@value #ACK_HEADER}; reply {@link Applied}. */
  public static final String PROPOSE = "center.control.propose";
  /** Reads of the in-memory state: body {@link Query}; reply the object asked for. */
  public static final String QUERY = "center.control.query";
  /** Local publish of every {@link Applied}, in log order, as soon as it is applied. */
  public static final String APPLIED = "center.control.applied";
  /**
   * Local publish of a {@link ControlSnapshot} whenever the state was replaced as a whole (a new
   * group loaded it from the store, or a lagging node caught up by snapshot): views built from the
   * {@link #APPLIED} stream reload from it; the applied stream continues after its index.
   */
  public static final String RESTORED = "center.control.restored";
  /** Local publish of {@link PersistedEvents}, in order, once durable. */
  public static final String PERSISTED = "center.control.persisted";

  public static final String ACK_HEADER = "ack";
  /** Reply once committed and persisted (the default: what operators and devices are told). */
  public static final String ACK_PERSISTED = "persisted";
  /** Reply once committed and applied: for the scheduler, whose decisions are only proposals. */
  public static final String ACK_COMMITTED = "committed";

  /** A read of the control state. */
  public record Query(String op, String id) {
  }

  private static final long TIMEOUT_MS = 15_000;

  private final Vertx vertx;

  public ControlClient(Vertx vertx) {
    this.vertx = vertx;
    registerCodecs(vertx);
  }

  public static void registerCodecs(Vertx vertx) {
    LocalCodec.register(vertx, Applied.class, PersistedEvents.class, Query.class, Mission.class,
        Device.class, ControlSnapshot.class, java.util.ArrayList.class, NodeStatus.class);
    registerCommands(vertx, Command.class);
  }

  private static void registerCommands(Vertx vertx, Class<?> type) {
    for (Class<?> c : type.getPermittedSubclasses()) {
      if (c.isInterface()) {
        registerCommands(vertx, c);
      } else {
        LocalCodec.register(vertx, c);
      }
    }
  }

  /** Proposes a command; completes once it is committed and persisted. */
  public Future<Applied> propose(Command command) {
    return propose(command, ACK_PERSISTED);
  }

  /** Proposes a command; completes once it is committed and applied (not yet persisted). */
  public Future<Applied> proposeCommitted(Command command) {
    return propose(command, ACK_COMMITTED);
  }

  private Future<Applied> propose(Command command, String ack) {
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(TIMEOUT_MS)
        .addHeader(ACK_HEADER, ack);
    return vertx.eventBus().<Applied>request(PROPOSE, command, options)
        .recover(ControlClient::translate)
        .map(m -> m.body());
  }

  /** The mission if it is in memory (active, or finished within the retention time), else null. */
  public Future<Mission> mission(String id) {
    return query("mission", id);
  }

  public Future<Device> device(String id) {
    return query("device", id);
  }

  /** Every registered device. */
  public Future<List<Device>> devices() {
    return query("devices", null);
  }

  /** The missions the device holds (ASSIGNED or RUNNING). */
  public Future<List<Mission>> openAssignments(String deviceId) {
    return query("openAssignments", deviceId);
  }

  public Future<ControlSnapshot> snapshot() {
    return query("snapshot", null);
  }

  /**
   * Counts for metrics: {@code missions} {state: count} over missions in memory, {@code queued},
   * {@code devices}, {@code devicesOnline}, {@code seq}, {@code index}.
   */
  public Future<JsonObject> stats() {
    return query("stats", null);
  }

  /** Role, term, leader and indexes of this node's Raft member. */
  public Future<NodeStatus> status() {
    return query("status", null);
  }

  /**
   * The cluster as this node sees it: {@code self}, {@code leader}, {@code term}, {@code group} and
   * {@code members} (every node heard from recently, with its role and indexes).
   */
  public Future<JsonObject> cluster() {
    return query("cluster", null);
  }

  private <T> Future<T> query(String op, String id) {
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(TIMEOUT_MS);
    return vertx.eventBus().<T>request(QUERY, new Query(op, id), options)
        .recover(ControlClient::translate)
        .map(m -> m.body());
  }

  private static <T> Future<T> translate(Throwable t) {
    if (t instanceof ReplyException re) {
      return switch (re.failureType()) {
        case TIMEOUT -> Future.failedFuture(new ControlException(504, "timeout",
            "the control plane did not answer in time; the outcome is unknown"));
        case NO_HANDLERS -> Future.failedFuture(new ControlException(503, "not-ready",
            "the control plane of this node is not running"));
        default -> Future.failedFuture(fromReply(re));
      };
    }
    return Future.failedFuture(t);
  }

  /** Failure codes travel as "status|code|detail" in the reply message. */
  private static ControlException fromReply(ReplyException re) {
    String msg = re.getMessage() == null ? "" : re.getMessage();
    String[] parts = msg.split("\\|", 3);
    if (parts.length == 3) return new ControlException(re.failureCode(), parts[1], parts[2]);
    return new ControlException(re.failureCode() > 0 ? re.failureCode() : 500, "internal", msg);
  }

  public static String encodeFailure(ControlException e) {
    return e.status() + "|" + e.code() + "|" + e.getMessage();
  }

  public static JsonObject describe(ControlException e) {
    return new JsonObject().put("status", e.status()).put("code", e.code()).put("detail", e.getMessage());
  }
}
