package io.falconmind.center.raft;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;

import java.util.List;

/**
 * The event-bus addresses of one Raft endpoint, and their warm-up.
 *
 * <p>The first time a node sends to an address, the clustered event bus asks Hazelcast which nodes
 * listen on it. From then on the answer is cached locally and updated in the background when the
 * listeners change. While a member is frozen or cut off but not yet dropped from the Hazelcast
 * membership (up to its heartbeat timeout), a first lookup whose entry that member owns waits for
 * the drop. Voters rarely talk to each other before an election, so their first pre-vote would be
 * exactly such a lookup. Every node therefore sends one empty warm-up message to each address of
 * an endpoint as soon as it first hears that endpoint's presence, while everything is healthy.
 * Consumers drop warm-up messages ({@link #skippingWarmUps}).
 */
final class PeerAddresses {

  private static final String WARM_UP = "warm-up";
  private static final DeliveryOptions WARM_UP_OPTIONS = new DeliveryOptions().addHeader(WARM_UP, "1");

  private PeerAddresses() {
  }

  /** MicroRaft messages ({@link RaftCodec}). */
  static String raft(String endpoint) {
    return "center.raft.peer." + endpoint;
  }

  /** Proposals forwarded to the leader ({@link Frames}). */
  static String forward(String endpoint) {
    return "center.raft.forward." + endpoint;
  }

  /** A gateway's request for the applied entries it missed, or a snapshot. */
  static String catchUp(String endpoint) {
    return "center.raft.catchup." + endpoint;
  }

  /** The leader's request that a gateway join the group as a learner. */
  static String enlist(String endpoint) {
    return "center.raft.enlist." + endpoint;
  }

  /** A member's request, on SIGTERM, that the leader remove it from the group. */
  static String leave(String endpoint) {
    return "center.raft.leave." + endpoint;
  }

  static List<String> all(String endpoint) {
    return List.of(raft(endpoint), forward(endpoint), catchUp(endpoint), enlist(endpoint), leave(endpoint));
  }

  /** Sends one empty warm-up message to every address of {@code endpoint}. */
  static void warmUp(EventBus bus, String endpoint) {
    for (String address : all(endpoint)) bus.send(address, null, WARM_UP_OPTIONS);
  }

  /** {@code handler}, not called for warm-up messages. */
  static <T> Handler<Message<T>> skippingWarmUps(Handler<Message<T>> handler) {
    return m -> {
      if (!m.headers().contains(WARM_UP)) handler.handle(m);
    };
  }
}
