package io.falconmind.center.mqtt;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;

/**
 * The connection under a client's endpoint, for what vertx-mqtt offers no way to do:
 * <ul>
 *   <li>write deliveries without a flush each, and flush them together;</li>
 *   <li>tell how many bytes wait to go out to the client, so that one that does not read is not
 *   sent more QoS 0 messages than {@code mqtt.maxPendingBytes};</li>
 *   <li>stop and restart reading it, so that a client sending faster than its publications are
 *   made safe is held back by TCP flow control rather than by the node's memory (an MQTT 3.1.1
 *   client has no Receive Maximum to keep it within the inflight window);</li>
 *   <li>close it after a DISCONNECT so that the client gets to read the reason: closing with input
 *   still unread makes the kernel answer with a TCP reset, which can reach a client that is still
 *   sending before it reads the DISCONNECT.</li>
 * </ul>
 *
 * <p>vertx-mqtt 5.0 does not expose an endpoint's socket, so it is read from the endpoint's
 * private {@code conn} field. When that field cannot be read (another vertx-mqtt version), a
 * warning is logged once, input is never paused (MQTT 5 clients are still held to the Receive
 * Maximum, 3.1.1 clients are then bounded only by the publish-rate limit) and a DISCONNECT is
 * followed by an immediate close.
 */
final class EndpointSocket {

  private static final Logger LOG = LoggerFactory.getLogger(EndpointSocket.class);
  private static final Field CONN = connField();
  /** How long input is discarded after a DISCONNECT, at most, before the connection is closed. */
  static final long LINGER_MS = 2_000;

  private final NetSocketInternal socket;
  private boolean paused;
  private boolean flushScheduled;
  /** Bytes of the batch {@link #writeBatched} has written and not flushed yet. */
  private long unflushed;

  private EndpointSocket(NetSocketInternal socket) {
    this.socket = socket;
    // to copy a payload from the heap into the direct buffer a delivery is encoded in, Netty's
    // default allocator makes two buffer views per write, the pooled one none
    if (socket != null) socket.channelHandlerContext().channel().config().setAllocator(PooledByteBufAllocator.DEFAULT);
  }

  /** The connection of {@code endpoint}; one that can do nothing when the socket is out of reach. */
  static EndpointSocket of(MqttEndpoint endpoint) {
    if (CONN == null) return new EndpointSocket(null);
    try {
      return new EndpointSocket(CONN.get(endpoint) instanceof NetSocketInternal s ? s : null);
    } catch (IllegalAccessException | IllegalArgumentException e) {
      return new EndpointSocket(null);
    }
  }

  /** Stops reading; true when it was reading until now. Call on the endpoint's context. */
  boolean pause() {
    if (paused || socket == null) return false;
    paused = true;
    socket.pause();
    return true;
  }

  /** Reads again after {@link #pause()}. Call on the endpoint's context. */
  void resume() {
    if (!paused) return;
    paused = false;
    socket.resume();
  }

  boolean paused() {
    return paused;
  }

  /**
   * Bytes sent to the client that its connection has not taken yet: flushed, and still waiting for
   * room in the kernel's buffers (0 when out of reach). The batch being written does not count: a
   * backlog released at once to a client that reads is not what it failed to take.
   */
  long pendingBytes() {
    if (socket == null) return 0;
    var outbound = socket.channelHandlerContext().channel().unsafe().outboundBuffer();
    return outbound == null ? 0 : Math.max(0, outbound.totalPendingWriteBytes() - unflushed);
  }

  /** Whether {@link #writeBatched} may be called: the socket is in reach and this is its event loop. */
  boolean canWriteBatched() {
    return socket != null && socket.channelHandlerContext().executor().inEventLoop();
  }

  /**
   * Writes {@code message} and flushes it with whatever else is written before the tasks already
   * queued on the connection's event loop have run: a burst of deliveries to one client costs one
   * system call, not one each. Only when {@link #canWriteBatched()}.
   */
  void writeBatched(Object message) {
    ChannelHandlerContext ctx = socket.channelHandlerContext();
    var outbound = ctx.channel().unsafe().outboundBuffer();
    long before = outbound == null ? 0 : outbound.totalPendingWriteBytes();
    ctx.write(message, ctx.voidPromise());
    if (outbound != null) unflushed += outbound.totalPendingWriteBytes() - before;
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.executor().execute(() -> {
        flushScheduled = false;
        unflushed = 0;
        ctx.flush();
      });
    }
  }

  /**
   * Sends an MQTT 5 DISCONNECT with {@code code} and closes the connection so that the client can
   * read it: from now on its input is discarded unread, the output is shut after the DISCONNECT
   * (the client reads it, then the end of the stream), and the connection closes when the client
   * closes its side or after {@link #LINGER_MS}. False when the socket is out of reach or not a
   * TCP connection; the caller then disconnects as vertx-mqtt does.
   */
  boolean disconnectAndLinger(MqttDisconnectReasonCode code) {
    if (socket == null) return false;
    Channel channel = socket.channelHandlerContext().channel();
    if (!(channel instanceof DuplexChannel duplex) || !channel.isActive()) return false;
    channel.pipeline().addFirst(DiscardInput.INSTANCE);
    paused = false;
    channel.config().setAutoRead(true);
    channel.read();
    var disconnect = MqttMessageFactory.newMessage(
        new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0),
        new MqttReasonCodeAndPropertiesVariableHeader(code.value(), MqttProperties.NO_PROPERTIES), null);
    socket.writeMessage(disconnect).onComplete(written -> {
      if (written.succeeded()) {
        duplex.shutdownOutput();
        channel.eventLoop().schedule(() -> channel.close(), LINGER_MS, TimeUnit.MILLISECONDS);
      } else {
        channel.close();
      }
    });
    return true;
  }

  /** Drops whatever a client sends once it has been disconnected. */
  @ChannelHandler.Sharable
  private static final class DiscardInput extends ChannelInboundHandlerAdapter {
    static final DiscardInput INSTANCE = new DiscardInput();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }

  private static Field connField() {
    try {
      Field f = Class.forName("io.vertx.mqtt.impl.MqttEndpointImpl").getDeclaredField("conn");
      if (!NetSocketInternal.class.isAssignableFrom(f.getType())) {
        throw new NoSuchFieldException("conn is a " + f.getType());
      }
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("MQTT clients cannot be held back by flow control, nor disconnected without a TCP reset, "
          + "with this vertx-mqtt ({}); 3.1.1 publishers are bounded by the publish-rate limit only", e.toString());
      return null;
    }
  }
}
