package io.falconmind.center.raft;

import io.falconmind.center.control.ControlException;
import io.microraft.exception.CannotReplicateException;
import io.microraft.exception.IndeterminateStateException;
import io.microraft.exception.NotLeaderException;
import io.microraft.exception.RaftException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

import java.util.concurrent.CompletionException;

/**
 * What the caller of a proposal is told when it was not replicated, or when its outcome is not
 * known: the one place where MicroRaft's failures and the event bus's reply failures become
 * {@link ControlException}s. A 503 means nothing happened (retry); a 504 {@code indeterminate}
 * means the command may still commit (retry with the same idempotency key).
 */
final class ControlFailures {

  /** The code of a refusal by a node that does not lead: nothing was replicated, so the proposal may wait for the next leader. */
  static final String NOT_LEADER = "not-leader";

  private ControlFailures() {
  }

  static ControlException noLeader() {
    return new ControlException(503, "no-leader", "the cluster has no Raft leader right now; retry");
  }

  /** A forwarded proposal reached a node that no longer leads. */
  static ControlException notLeaderHere() {
    return new ControlException(503, NOT_LEADER, "this node no longer leads the Raft group; retry");
  }

  /** MicroRaft completed a replication without a result: the entry was not committed in the leader's term. */
  static ControlException leadershipChanging() {
    return new ControlException(503, "no-leader", "leadership is changing; retry");
  }

  /** A proposal was forwarded to a node that stopped leading before it answered. */
  static ControlException leaderChangedBeforeAnswer() {
    return new ControlException(504, "indeterminate",
        "the leader changed before answering; the outcome is unknown, retry with the same idempotency key");
  }

  static ControlException shuttingDown() {
    return new ControlException(503, "shutting-down", "the node is shutting down; retry");
  }

  /**
   * The failure of a proposal forwarded to the leader: a timeout leaves the outcome unknown, a
   * leader that is gone replicated nothing, and the leader's own refusal
   * ({@code status|code|detail}, see {@link io.falconmind.center.control.ControlClient#encodeFailure})
   * is passed on as it is.
   */
  static ControlException ofForward(Throwable t) {
    if (t instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new ControlException(504, "indeterminate",
            "the leader did not answer in time; the outcome is unknown, retry with the same idempotency key");
      }
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new ControlException(503, NOT_LEADER, "the leader it was sent to is gone; retry");
      }
      String msg = re.getMessage() == null ? "" : re.getMessage();
      String[] parts = msg.split("\\|", 3);
      if (parts.length == 3) return new ControlException(re.failureCode(), parts[1], parts[2]);
      return new ControlException(503, "no-leader", msg);
    }
    return new ControlException(503, "no-leader", String.valueOf(t.getMessage()));
  }

  /** The failure of a replication on this node, as MicroRaft reported it. */
  static ControlException ofReplication(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof NotLeaderException) {
      return new ControlException(503, NOT_LEADER, "this node is not the Raft leader; retry");
    }
    if (cause instanceof CannotReplicateException) {
      return new ControlException(503, "overloaded", "too many commands are waiting to be committed; retry");
    }
    if (cause instanceof IndeterminateStateException) {
      return new ControlException(504, "indeterminate",
          "leadership changed before the command was known to be committed; retry with the same idempotency key");
    }
    if (internal(cause)) {
      // the command may be in the leader's log already: it can still commit
      return new ControlException(504, "indeterminate",
          "the Raft leader failed while replicating; the outcome is unknown, retry with the same idempotency key");
    }
    return new ControlException(500, "internal", String.valueOf(cause));
  }

  /** A failure MicroRaft reports of itself (its base exception), not one of a command or a role. */
  static boolean internal(Throwable error) {
    return unwrap(error).getClass() == RaftException.class;
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }
}
