package io.falconmind.center.raft;

import io.falconmind.center.control.ControlException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Replies held until their entry is persisted, or applied on this node. */
class ReplyWaitersTest {

  private final ReplyWaiters waiters = new ReplyWaiters();
  private final List<String> done = new ArrayList<>();
  private final List<String> failed = new ArrayList<>();

  private void whenPersisted(long index, String name) {
    waiters.whenPersisted(index, () -> done.add(name), e -> failed.add(name + ":" + e.code()), 0);
  }

  @Test
  void aReplyWaitsUntilItsEntryAndEveryOneBeforeItIsPersisted() {
    whenPersisted(3, "three");
    whenPersisted(5, "five");

    waiters.persisted(2);
    assertThat(done).isEmpty();

    waiters.persisted(4);
    assertThat(done).containsExactly("three");

    waiters.persisted(9);
    assertThat(done).containsExactly("three", "five");
    assertThat(waiters.persistedIndex()).isEqualTo(9);
  }

  @Test
  void aReplyForAnEntryAlreadyPersistedGoesAtOnce() {
    waiters.persisted(7);

    whenPersisted(7, "seven");

    assertThat(done).containsExactly("seven");
  }

  @Test
  void thePersistedIndexNeverGoesBack() {
    waiters.persisted(8);
    waiters.persisted(5);

    whenPersisted(6, "six");

    assertThat(waiters.persistedIndex()).isEqualTo(8);
    assertThat(done).containsExactly("six");
  }

  @Test
  void anAnswerWaitsUntilItsEntryIsAppliedHere() {
    waiters.whenApplied(4, 2, () -> done.add("four"), 0);
    waiters.whenApplied(2, 2, () -> done.add("two"), 0);
    assertThat(done).containsExactly("two");

    waiters.applied(3);
    assertThat(done).containsExactly("two");

    waiters.applied(4);
    assertThat(done).containsExactly("two", "four");
  }

  @Test
  void anAnswerWhoseEntryDoesNotArriveIsGivenAfterTheWait() {
    waiters.whenApplied(10, 1, () -> done.add("ten"), 0);

    waiters.expire(ReplyWaiters.APPLY_WAIT_NANOS - 1);
    assertThat(done).isEmpty();

    waiters.expire(ReplyWaiters.APPLY_WAIT_NANOS);
    assertThat(done).containsExactly("ten");

    waiters.applied(10);
    assertThat(done).containsExactly("ten");
  }

  @Test
  void failingAllFailsTheUnpersistedAndGivesTheAnswersWaitingToBeApplied() {
    whenPersisted(3, "proposal");
    waiters.whenApplied(4, 1, () -> done.add("forwarded"), 0);

    waiters.failAll(new ControlException(503, "shutting-down", "stopping"));

    assertThat(failed).containsExactly("proposal:shutting-down");
    assertThat(done).containsExactly("forwarded");
    waiters.persisted(10);
    waiters.applied(10);
    assertThat(done).containsExactly("forwarded");
  }

  @Test
  void aReplyRunningWhileOthersAreReleasedMayWaitForALaterEntry() {
    waiters.whenPersisted(2, () -> {
      done.add("two");
      whenPersisted(6, "six");
    }, e -> failed.add("two"), 0);

    waiters.persisted(3);
    assertThat(done).containsExactly("two");

    waiters.persisted(6);
    assertThat(done).containsExactly("two", "six");
  }
}
