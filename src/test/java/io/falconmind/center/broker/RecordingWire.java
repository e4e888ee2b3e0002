package io.falconmind.center.broker;

import io.vertx.core.Context;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A client's connection that records what its session writes to it. */
class RecordingWire implements BrokerSession.Wire {
  final List<String> sent = new CopyOnWriteArrayList<>();
  private final Context context;

  RecordingWire(Context context) {
    this.context = context;
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public void publish(BrokerSession.Outgoing message, int packetId, boolean dup) {
    sent.add("publish " + message.publication().payload() + " #" + packetId + (dup ? " again" : ""));
  }

  @Override
  public void release(int packetId) {
    sent.add("release #" + packetId);
  }
}
