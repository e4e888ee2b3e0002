package io.falconmind.center.raft;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlException;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Where a proposal goes. On the leader (or a standalone node) it is replicated here; on any other
 * node it is forwarded to the leader over the event bus, and a proposal forwarded here is
 * replicated if this node still leads. While leadership changes hands (no leader known, or the one
 * asked no longer leads, and one was known moments ago) a proposal waits for the next leader
 * rather than fail, until its deadline. The reply goes out once the command is committed and,
 * unless the caller asked for {@link ControlClient#ACK_COMMITTED}, its events are persisted; a
 * forwarded proposal's reply waits until the entry is applied on this node too, and carries this
 * node's events of it. Not thread-safe: used on the Raft verticle's context.
 */
final class Proposals {

  private static final long FORWARD_TIMEOUT_MS = 10_000;
  private static final int RECENTLY_APPLIED = 4096;

  /** A proposal waiting for a leader to be known again, until {@code waitUntil} (nanoTime). */
  private record AwaitingLeader(Message<Command> message, long waitUntil) {
  }

  /** A proposal forwarded to {@code leader}, waiting for its answer. */
  private record Forwarded(String leader, Message<Command> message) {
  }

  private final Context context;
  private final EventBus bus;
  private final LocalMember member;
  private final BooleanSupplier stopping;
  private final Consumer<Throwable> failedInside;
  private final ReplyWaiters waiters;
  private final LongSupplier appliedIndex;
  private final long leaderWaitNanos;
  private final DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
  /** The most recently applied entries, so a forwarded proposal is answered with this node's events. */
  private final Map<Long, Applied> recentlyApplied = new LinkedHashMap<>(1024, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Applied> eldest) {
      return size() > RECENTLY_APPLIED;
    }
  };
  /** Proposals forwarded to a leader and not answered yet, by a local id. */
  private final Map<Long, Forwarded> forwarded = new HashMap<>();
  /** Proposals that came while the leader changed hands; retried as soon as a leader is known. */
  private final List<AwaitingLeader> awaitingLeader = new ArrayList<>();
  private long forwardIds;

  /**
   * @param appliedIndex    the index the control state on this node has applied
   * @param leaderWaitNanos how long a proposal waits for a leader to be known again, and how
   *                        recently one must have been known for it to wait
   * @param stopping        whether the node is stopping: a proposal no longer waits then
   * @param failedInside    told when MicroRaft failed inside this node's member while replicating
   */
  Proposals(Context context, LocalMember member, ReplyWaiters waiters, LongSupplier appliedIndex,
            long leaderWaitNanos, BooleanSupplier stopping, Consumer<Throwable> failedInside) {
    this.context = context;
    this.bus = context.owner().eventBus();
    this.member = member;
    this.waiters = waiters;
    this.appliedIndex = appliedIndex;
    this.leaderWaitNanos = leaderWaitNanos;
    this.stopping = stopping;
    this.failedInside = failedInside;
  }

  /** A proposal of this node ({@link ControlClient#PROPOSE}). */
  void onPropose(Message<Command> message) {
    propose(message, System.nanoTime() + leaderWaitNanos);
  }

  /** A proposal forwarded by another node: replicated here while this node leads. */
  void onForward(Message<Buffer> message) {
    if (!member.isLeader()) {
      ControlException e = ControlFailures.notLeaderHere();
      message.fail(e.status(), ControlClient.encodeFailure(e));
      return;
    }
    Command command;
    try {
      command = CommandCodec.decode(Frames.forwardCommand(message.body()));
    } catch (RuntimeException e) {
      message.fail(400, "400|bad-command|" + e.getMessage());
      return;
    }
    replicate(command, Frames.forwardCommittedOnly(message.body()),
        applied -> message.reply(Frames.result(applied.index(), applied.reply().encode())),
        e -> message.fail(e.status(), ControlClient.encodeFailure(e)));
  }

  /** An entry this node applied. */
  void applied(Applied applied) {
    recentlyApplied.put(applied.index(), applied);
  }

  /** The state was replaced by a snapshot: the entries applied before it are no longer known here. */
  void restored() {
    recentlyApplied.clear();
  }

  boolean anyAwaitingLeader() {
    return !awaitingLeader.isEmpty();
  }

  /** Sends on the proposals waiting for a leader once one is known; refuses those whose wait is over. */
  void releaseAwaitingLeader() {
    if (awaitingLeader.isEmpty()) return;
    boolean known = member.isLeader() || member.currentLeader(System.nanoTime()) != null;
    long now = System.nanoTime();
    List<AwaitingLeader> waiting = List.copyOf(awaitingLeader);
    awaitingLeader.clear();
    for (AwaitingLeader a : waiting) {
      if (known || now >= a.waitUntil() || member.leaderLost(now)) {
        propose(a.message(), a.waitUntil());
      } else {
        awaitingLeader.add(a);
      }
    }
  }

  /**
   * Proposals forwarded to a leader that is no longer the leader may never be answered (a killed
   * node drops them): their callers learn at once that the outcome is unknown.
   */
  void failForwardedTo(String formerLeader) {
    var it = forwarded.values().iterator();
    while (it.hasNext()) {
      Forwarded f = it.next();
      if (!f.leader().equals(formerLeader)) continue;
      it.remove();
      ControlException e = ControlFailures.leaderChangedBeforeAnswer();
      f.message().fail(e.status(), ControlClient.encodeFailure(e));
    }
  }

  /** Refuses every proposal still waiting for a leader with {@code e} (the node stops). */
  void refuseAwaiting(ControlException e) {
    awaitingLeader.forEach(a -> a.message().fail(e.status(), ControlClient.encodeFailure(e)));
    awaitingLeader.clear();
  }

  /**
   * Replicates {@code message} here when this node leads, else forwards it to the leader. When no
   * leader is known, or the one it was sent to no longer leads, and one was known moments ago (a
   * hand-over or a change of members is under way), it waits for the next until {@code waitUntil}
   * rather than refuse; a node that has not known a leader for longer refuses at once.
   */
  private void propose(Message<Command> message, long waitUntil) {
    boolean committedOnly = ControlClient.ACK_COMMITTED.equals(message.headers().get(ControlClient.ACK_HEADER));
    if (member.replicatesProposals()) {
      replicate(message.body(), committedOnly, applied -> message.reply(applied, local),
          e -> refuseOrAwaitLeader(message, waitUntil, e));
      return;
    }
    String leader = member.currentLeader(System.nanoTime());
    if (leader == null) {
      awaitLeaderOrRefuse(message, waitUntil);
      return;
    }
    forward(message, leader, committedOnly, waitUntil);
  }

  private void forward(Message<Command> message, String leader, boolean committedOnly, long waitUntil) {
    Buffer frame = Frames.forward(committedOnly, CommandCodec.encode(message.body()));
    long id = ++forwardIds;
    forwarded.put(id, new Forwarded(leader, message));
    bus.<Buffer>request(PeerAddresses.forward(leader), frame, new DeliveryOptions().setSendTimeout(FORWARD_TIMEOUT_MS))
        .onComplete(ar -> {
          if (forwarded.remove(id) == null) return;
          if (ar.failed()) {
            refuseOrAwaitLeader(message, waitUntil, ControlFailures.ofForward(ar.cause()));
            return;
          }
          Message<Buffer> reply = ar.result();
          long index = Frames.resultIndex(reply.body());
          JsonObject result = new JsonObject(Frames.resultReply(reply.body()));
          waiters.whenApplied(index, appliedIndex.getAsLong(), () -> {
            Applied here = recentlyApplied.get(index);
            message.reply(new Applied(index, here == null ? List.of() : here.events(), result), local);
          }, System.nanoTime());
        });
  }

  /** Fails {@code message} with {@code e}, unless {@code e} says the node asked does not lead: nothing was replicated then. */
  private void refuseOrAwaitLeader(Message<Command> message, long waitUntil, ControlException e) {
    if (ControlFailures.NOT_LEADER.equals(e.code())) {
      awaitLeaderOrRefuse(message, waitUntil);
    } else {
      message.fail(e.status(), ControlClient.encodeFailure(e));
    }
  }

  private void awaitLeaderOrRefuse(Message<Command> message, long waitUntil) {
    long now = System.nanoTime();
    if (now < waitUntil && leaderExpected(now)) {
      awaitingLeader.add(new AwaitingLeader(message, waitUntil));
      return;
    }
    ControlException e = ControlFailures.noLeader();
    message.fail(e.status(), ControlClient.encodeFailure(e));
  }

  /**
   * Whether a proposal that finds no leader may wait for the next: leadership is changing hands
   * (one was known moments ago) rather than lost, and the node is not stopping.
   */
  private boolean leaderExpected(long now) {
    long known = member.leaderKnownNanos;
    return !stopping.getAsBoolean() && !member.leaderLost(now) && known != 0 && now - known < leaderWaitNanos;
  }

  private void replicate(Command command, boolean committedOnly, Consumer<Applied> done, Consumer<ControlException> failed) {
    member.raftNode.<Applied>replicate(command).whenComplete((ordered, error) -> context.runOnContext(v -> {
      if (error != null) {
        if (ControlFailures.internal(error)) failedInside.accept(error);
        failed.accept(ControlFailures.ofReplication(error));
        return;
      }
      Applied applied = ordered.getResult();
      if (applied == null) {
        failed.accept(ControlFailures.leadershipChanging());
      } else if (committedOnly) {
        done.accept(applied);
      } else {
        waiters.whenPersisted(applied.index(), () -> done.accept(applied), failed, System.nanoTime());
      }
    }));
  }
}
