package io.falconmind.center.raft;

import io.falconmind.center.control.ControlException;
import io.microraft.exception.CannotReplicateException;
import io.microraft.exception.IndeterminateStateException;
import io.microraft.exception.NotLeaderException;
import io.microraft.exception.RaftException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** What the caller of a proposal is told for each failure of replication or forwarding. */
class ControlFailuresTest {

  private static final NodeEndpoint SELF = new NodeEndpoint("a.1");

  private static String of(ControlException e) {
    return e.status() + " " + e.code();
  }

  @Test
  void aRefusalByANodeThatDoesNotLeadMeansNothingWasReplicated() {
    assertThat(of(ControlFailures.ofReplication(new NotLeaderException(SELF, null)))).isEqualTo("503 not-leader");
    assertThat(of(ControlFailures.ofReplication(new CompletionException(new NotLeaderException(SELF, null)))))
        .isEqualTo("503 not-leader");
  }

  @Test
  void aFullLogIsOverloadAndALeadershipChangeLeavesTheOutcomeUnknown() {
    assertThat(of(ControlFailures.ofReplication(new CannotReplicateException(SELF)))).isEqualTo("503 overloaded");
    assertThat(of(ControlFailures.ofReplication(new IndeterminateStateException()))).isEqualTo("504 indeterminate");
  }

  @Test
  void aFailureInsideMicroRaftIsIndeterminateAndKnownAsInternal() {
    RaftException inside = new RaftException("replication state past the log", SELF);

    assertThat(ControlFailures.internal(inside)).isTrue();
    assertThat(ControlFailures.internal(new CompletionException(inside))).isTrue();
    assertThat(ControlFailures.internal(new NotLeaderException(SELF, null))).isFalse();
    assertThat(of(ControlFailures.ofReplication(inside))).isEqualTo("504 indeterminate");
  }

  @Test
  void anyOtherReplicationFailureIsInternal() {
    assertThat(of(ControlFailures.ofReplication(new IllegalStateException("boom")))).isEqualTo("500 internal");
  }

  @Test
  void aForwardThatTimesOutIsIndeterminateAndOneToAVanishedLeaderWasNotReplicated() {
    assertThat(of(ControlFailures.ofForward(new ReplyException(ReplyFailure.TIMEOUT, "timeout"))))
        .isEqualTo("504 indeterminate");
    assertThat(of(ControlFailures.ofForward(new ReplyException(ReplyFailure.NO_HANDLERS, "none"))))
        .isEqualTo("503 not-leader");
  }

  @Test
  void theLeadersOwnRefusalIsPassedOnAsItIs() {
    ControlException e = ControlFailures.ofForward(
        new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 409, "409|duplicate|the key was used for another mission"));

    assertThat(of(e)).isEqualTo("409 duplicate");
    assertThat(e.getMessage()).isEqualTo("the key was used for another mission");
  }

  @Test
  void aForwardFailureWithoutAStatusMeansNoLeader() {
    assertThat(of(ControlFailures.ofForward(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 500, "odd")))).isEqualTo("503 no-leader");
    assertThat(of(ControlFailures.ofForward(new IllegalStateException("closed")))).isEqualTo("503 no-leader");
  }
}
