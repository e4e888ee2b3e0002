package io.falconmind.center.broker;

import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of a {@link SessionState} handed from one node to another and kept in the
 * session store. Pure; a truncated
 * or corrupt buffer fails with {@link IllegalArgumentException}.
 */
final class SessionCodec {

  private SessionCodec() {
  }

  static Buffer encode(SessionState state) {
    Buffer out = Buffer.buffer();
    out.appendLong(state.expirySec()).appendLong(state.disconnectedAt());
    out.appendInt(state.subscriptions().size());
    for (Subscription s : state.subscriptions()) {
      PublicationCodec.writeString(out, s.filter());
      PublicationCodec.writeString(out, s.shareGroup());
      out.appendByte((byte) (s.qos() | (s.noLocal() ? 0x04 : 0) | (s.retainAsPublished() ? 0x08 : 0)
          | s.retainHandling() << 4));
      out.appendInt(s.identifier());
    }
    out.appendInt(state.owed().size());
    for (BrokerSession.Outgoing o : state.owed()) writeOutgoing(out, o);
    out.appendInt(state.unacked().size());
    for (BrokerSession.Unacked u : state.unacked()) {
      out.appendInt(u.packetId()).appendByte((byte) (u.released() ? 1 : 0));
      writeOutgoing(out, u.message());
    }
    out.appendInt(state.receivedQos2().size());
    for (int id : state.receivedQos2()) out.appendInt(id);
    out.appendInt(state.taken().size());
    state.taken().forEach((origin, seqs) -> {
      PublicationCodec.writeString(out, origin);
      out.appendInt(seqs.length);
      for (long seq : seqs) out.appendLong(seq);
    });
    return out;
  }

  /** One message owed to a client: its QoS, retain flag and subscription identifiers, then the publication. */
  static void writeOutgoing(Buffer out, BrokerSession.Outgoing o) {
    out.appendByte((byte) (o.qos() | (o.retain() ? 0x04 : 0)));
    out.appendInt(o.identifiers().size());
    for (int id : o.identifiers()) out.appendInt(id);
    PublicationCodec.write(out, o.publication());
  }

  static BrokerSession.Outgoing readOutgoing(PublicationCodec.Reader r) {
    int flags = r.u8();
    int k = count(r.i32());
    List<Integer> ids = new ArrayList<>(k);
    for (int j = 0; j < k; j++) ids.add(r.i32());
    return new BrokerSession.Outgoing(PublicationCodec.read(r), flags & 0x03, (flags & 0x04) != 0, ids);
  }

  static SessionState decode(Buffer in) {
    PublicationCodec.Reader r = new PublicationCodec.Reader(in, 0);
    long expirySec = r.i64();
    long disconnectedAt = r.i64();
    int n = count(r.i32());
    List<Subscription> subs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String filter = r.string();
      String group = r.string();
      int flags = r.u8();
      subs.add(new Subscription(filter, group, flags & 0x03, (flags & 0x04) != 0, (flags & 0x08) != 0,
          (flags >> 4) & 0x03, r.i32()));
    }
    int m = count(r.i32());
    List<BrokerSession.Outgoing> owed = new ArrayList<>(m);
    for (int i = 0; i < m; i++) owed.add(readOutgoing(r));
    int u = count(r.i32());
    List<BrokerSession.Unacked> unacked = new ArrayList<>(u);
    for (int i = 0; i < u; i++) {
      int packetId = r.i32();
      boolean released = r.u8() == 1;
      unacked.add(new BrokerSession.Unacked(packetId, released, readOutgoing(r)));
    }
    int q = count(r.i32());
    List<Integer> receivedQos2 = new ArrayList<>(q);
    for (int i = 0; i < q; i++) receivedQos2.add(r.i32());
    int t = count(r.i32());
    Map<String, long[]> taken = new HashMap<>();
    for (int i = 0; i < t; i++) {
      String origin = r.string();
      int k = count(r.i32());
      r.need(8L * k);
      long[] seqs = new long[k];
      for (int j = 0; j < seqs.length; j++) seqs[j] = r.i64();
      taken.put(origin, seqs);
    }
    return new SessionState(subs, unacked, owed, receivedQos2, expirySec, disconnectedAt, taken);
  }

  static int count(int n) {
    if (n < 0 || n > 10_000_000) throw new IllegalArgumentException("bad count " + n);
    return n;
  }
}
