package io.falconmind.center.raft;

import io.microraft.RaftEndpoint;
import io.microraft.model.message.RaftMessage;
import io.microraft.transport.Transport;
import io.vertx.core.eventbus.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Predicate;

/**
 * Carries MicroRaft messages over the clustered event bus, each encoded by {@link RaftCodec} and
 * sent to the target member's {@link PeerAddresses#raft} address. Never blocks or throws: a message that cannot be
 * sent is dropped, and Raft sends it again.
 */
final class EventBusTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(EventBusTransport.class);

  private final EventBus bus;
  private final Predicate<String> reachable;
  private final Metrics metrics;

  /** Bytes and messages sent, for the event-bus figures. */
  static final class Metrics {
    volatile long messages;
    volatile long bytes;
  }

  EventBusTransport(EventBus bus, Predicate<String> reachable, Metrics metrics) {
    this.bus = bus;
    this.reachable = reachable;
    this.metrics = metrics;
  }

  @Override
  public void send(RaftEndpoint target, RaftMessage message) {
    try {
      var bytes = RaftCodec.encode(message);
      metrics.messages++;
      metrics.bytes += bytes.length();
      bus.send(PeerAddresses.raft(String.valueOf(target.getId())), bytes);
    } catch (RuntimeException e) {
      log.warn("Raft message to {} not sent: {}", target.getId(), e.toString());
    }
  }

  @Override
  public boolean isReachable(RaftEndpoint endpoint) {
    return reachable.test(String.valueOf(endpoint.getId()));
  }
}
