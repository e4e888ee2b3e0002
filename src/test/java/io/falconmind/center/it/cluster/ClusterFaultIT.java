package io.falconmind.center.it.cluster;

import io.falconmind.center.it.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crash faults against a real five-node cluster (three voters, one learner, one gateway; each node
 * its own JVM from the packaged jar, all sharing one PostgreSQL) while devices run a steady stream
 * of missions submitted over REST to every node. The tests run in order on the same cluster, each
 * injecting one fault and then checking, from the outside:
 * <ul>
 *   <li>the cluster re-forms: every serving node is ready, follows the same leader, and sees
 *       itself as the leader's group has it (voter, learner or gateway);</li>
 *   <li>scheduling resumed: missions submitted after the fault are assigned and succeed;</li>
 *   <li>a killed node, started again, rejoins as a new incarnation;</li>
 *   <li>every acknowledged mission ended exactly once and stayed ended, as the store lists it and
 *       as every node serves it ({@link ClusterChecks});</li>
 *   <li>every node's feed, resumed with {@code since} across restarts, is gapless, carries the
 *       same event under the same seq as every other node's, and never shows a mission with two
 *       open attempts;</li>
 *   <li>no mission was held by two devices at once (the devices' own record).</li>
 * </ul>
 * Faults: {@code kill -9} of the leader, a follower, the learner and the gateway; {@code SIGSTOP} of
 * the leader past the election timeout, and past the voter grace period; every node killed at once.
 * The node logs of a run stay in {@code target/cluster-faults/<time>/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(240)
class ClusterFaultIT {

  private static final Duration FORM = Duration.ofSeconds(45);
  private static final Duration REJOIN = Duration.ofSeconds(120);
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final int RESUMED_MISSIONS = 5;

  /** Kept after the run (target/cluster-faults/...): the node logs are the evidence when a check fails. */
  private static Path work;
  private static FaultHarness run;
  private static LocalCluster cluster;
  private static ClusterChecks checks;
  private static long suiteStart;

  @BeforeAll
  static void startClusterDevicesAndLoad() {
    suiteStart = System.nanoTime();
    work = Path.of("target", "cluster-faults", String.valueOf(System.currentTimeMillis())).toAbsolutePath();
    run = FaultHarness.start(work, Path.of("target", "cluster-center.jar").toAbsolutePath(),
        new LocalCluster.Spec(), FaultHarness.Load.defaults());
    cluster = run.cluster;
    checks = run.checks;
    log("cluster, devices and load up after %d s", (System.nanoTime() - suiteStart) / 1_000_000_000);
  }

  @AfterAll
  static void stopEverything() {
    if (run != null) run.close();
    log("node logs in %s", work);
    log("cluster fault suite took %d s", (System.nanoTime() - suiteStart) / 1_000_000_000);
  }

  /**
   * A test that failed may leave a node stuck (not ready, or believing in a group it was dropped
   * from). Its failure is already reported; restart such nodes so that the next test checks its own
   * fault rather than the previous one's leftovers.
   */
  @BeforeEach
  void restartNodesAnEarlierFailureLeftStuck() {
    LocalCluster.Formation f = cluster.formation();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (f.leaderView() == null && System.nanoTime() < deadline) f = cluster.formation();
    if (f.leaderView() != null) return;
    log("not formed before the test (%s); restarting the nodes that are not ready", f.seen());
    for (ClusterNode n : cluster.nodes()) {
      if (n.frozen()) n.thaw();
      if (n.alive() && cluster.http(n).get("/health/ready").status() == 200) continue;
      n.kill9();
      n.start();
    }
    cluster.awaitFormed(Duration.ofSeconds(120));
  }

  @Test
  @Order(1)
  void formsOneGroupOfThreeVotersOneLearnerAndOneGateway() {
    ClusterView view = cluster.awaitComposition(3, 1, 1, FORM);

    assertThat(view.voters()).hasSize(3);
    assertThat(view.learners()).hasSize(1);
    checks.awaitSchedulingResumed(System.currentTimeMillis(), RESUMED_MISSIONS, SETTLE);
    assertEveryInvariantHolds("steady state");
  }

  @Test
  @Order(2)
  void killingTheLeaderElectsAnotherAndLosesNothing() {
    ClusterNode leader = cluster.leader(FORM);

    killAndRecover("kill -9 leader " + leader.id, leader);
  }

  @Test
  @Order(3)
  void killingAFollowerLosesNothing() {
    cluster.awaitComposition(3, 1, 1, FORM);
    ClusterNode follower = cluster.someNodeOfKind("voter", FORM);

    killAndRecover("kill -9 follower " + follower.id, follower);
  }

  @Test
  @Order(4)
  void killingTheLearnerLosesNothing() {
    cluster.awaitComposition(3, 1, 1, FORM);
    ClusterNode learner = cluster.someNodeOfKind("learner", FORM);

    killAndRecover("kill -9 learner " + learner.id, learner);
  }

  @Test
  @Order(5)
  void killingTheGatewayLosesNothing() {
    cluster.awaitComposition(3, 1, 1, FORM);
    ClusterNode gateway = cluster.someNodeOfKind("gateway", FORM);

    killAndRecover("kill -9 gateway " + gateway.id, gateway);
  }

  @Test
  @Order(6)
  void aLeaderFrozenPastTheElectionTimeoutFollowsTheNewLeaderWhenItWakes() {
    cluster.awaitComposition(3, 1, 1, FORM);
    ClusterNode old = cluster.leader(FORM);
    String oldEndpoint = cluster.view(old).self();

    long faultAt = System.currentTimeMillis();
    old.freeze();
    ClusterView formed;
    long reformedMs;
    try {
      formed = cluster.awaitFormed(FORM);
      reformedMs = System.currentTimeMillis() - faultAt;
    } finally {
      // Woken as soon as the others have a new leader: a stall longer than the election timeout
      // but shorter than cluster.voterGraceSec, so the old leader is still a voter.
      old.thaw();
    }
    long frozenMs = System.currentTimeMillis() - faultAt;

    // Same process, same endpoint: once awake it follows the new leader (or a later one) and does
    // not lead on its own; scheduling goes on.
    assertThat(formed.leaderNode()).isNotEqualTo(old.id);
    ClusterView woke = Eventually.until(FORM, old.id + " follows the new leader", () -> cluster.view(old),
        v -> v != null && v.leader() != null && !v.leader().equals(oldEndpoint)
            && v.selfMember() != null && !"LEADER".equals(v.selfMember().role()));
    assertThat(woke.self()).isEqualTo(oldEndpoint);
    cluster.awaitFormed(FORM);
    long resumedMs = checks.awaitSchedulingResumed(faultAt, RESUMED_MISSIONS, SETTLE);
    log("SIGSTOP leader %s for %d ms: re-formed in %d ms, scheduling resumed in %d ms", old.id, frozenMs, reformedMs,
        resumedMs);
    assertEveryInvariantHolds("SIGSTOP leader " + old.id);
  }

  @Test
  @Order(7)
  void aLeaderFrozenLongerThanTheVoterGraceIsReplacedAndRejoinsWhenItWakes() {
    cluster.awaitComposition(3, 1, 1, FORM);
    ClusterNode old = cluster.leader(FORM);

    long faultAt = System.currentTimeMillis();
    old.freeze();
    try {
      // Replaced: the others have a leader and three voters without it.
      Eventually.until(FORM, "three voters without " + old.id, cluster::formedView,
          v -> v != null && !v.leaderNode().equals(old.id)
              && v.voters().stream().noneMatch(e -> ClusterView.nodeOf(e).equals(old.id))
              && v.voters().size() == 3);
    } finally {
      old.thaw();
    }
    long frozenMs = System.currentTimeMillis() - faultAt;

    // Awake, it learns it was replaced and serves again (as a gateway or an enlisted learner).
    // (formedView requires every serving node, the woken one included, to be ready and follow the leader.)
    ClusterView formed = Eventually.until(SETTLE, old.id + " back in the cluster after it was replaced",
        cluster::formation, f -> f.leaderView() != null && f.leaderView().member(old.id) != null).leaderView();
    cluster.awaitComposition(3, 1, 1, FORM);
    long resumedMs = checks.awaitSchedulingResumed(faultAt, RESUMED_MISSIONS, SETTLE);
    log("SIGSTOP leader %s for %d ms (past the voter grace): it is %s now; scheduling resumed in %d ms", old.id,
        frozenMs, formed.member(old.id).member(), resumedMs);
    assertEveryInvariantHolds("SIGSTOP leader " + old.id + " past the voter grace");
  }

  @Test
  @Order(8)
  void stoppingEveryNodeAtOnceAndStartingThemAgainLosesNothing() {
    long seqBefore = run.highestSeq();

    long faultAt = System.currentTimeMillis();
    cluster.killAll();
    cluster.startAll(Duration.ofSeconds(180));
    long reformedMs = System.currentTimeMillis() - faultAt;
    long resumedMs = checks.awaitSchedulingResumed(faultAt, RESUMED_MISSIONS, SETTLE);

    // The new group continues the event sequence: every feed moves on past where it was.
    Eventually.until(SETTLE, "every feed past seq " + seqBefore, () -> run.feeds.stream().allMatch(f -> f.lastSeq() > seqBefore),
        Boolean::booleanValue);
    log("kill -9 of all nodes: re-formed in %d ms, scheduling resumed in %d ms", reformedMs, resumedMs);
    assertEveryInvariantHolds("kill -9 all");
  }

  @Test
  @Order(9)
  void afterAllFaultsEveryAcknowledgedMissionEndedExactlyOnce() {
    run.load.stop();

    ClusterChecks.Round last = assertEveryInvariantHolds("end of suite");
    assertThat(last.acked()).isGreaterThan(100);
    log("load: %d submitted, %d acknowledged, %d retries, longest wait %d ms, longest gap between acks %d ms; "
            + "devices: %d deliveries, %d re-deliveries, %d refusals, %d missions run to the end twice",
        run.load.submitted(), last.acked(), run.load.retries(), run.load.longestWaitMs(), run.load.longestAckGapMs(),
        run.fleet.deliveries(), run.fleet.redeliveries(), run.fleet.refusals(), run.fleet.ranToTheEndTwice());
  }

  /**
   * Kills {@code victim}, waits for the cluster and scheduling to recover, restarts it, checks
   * everything. The victim is started again even when a check fails, so one failure does not take
   * the following tests down with it.
   */
  private static void killAndRecover(String fault, ClusterNode victim) {
    String oldEndpoint = Objects.requireNonNull(cluster.view(victim), victim.id + " answers before the fault").self();

    long faultAt = System.currentTimeMillis();
    victim.kill9();
    ClusterView formed;
    long reformedMs;
    long resumedMs;
    long rejoinedMs;
    try {
      formed = cluster.awaitFormed(FORM);
      reformedMs = System.currentTimeMillis() - faultAt;
      resumedMs = checks.awaitSchedulingResumed(faultAt, RESUMED_MISSIONS, SETTLE);
    } finally {
      long restartAt = System.currentTimeMillis();
      cluster.restart(victim, REJOIN);
      rejoinedMs = System.currentTimeMillis() - restartAt;
    }

    assertThat(formed.leaderNode()).as("leader after " + fault).isNotEqualTo(victim.id);
    assertThat(cluster.view(victim).self()).as("a restarted node is a new incarnation").isNotEqualTo(oldEndpoint);
    log("%s: re-formed in %d ms, scheduling resumed in %d ms, restarted and rejoined in %d ms",
        fault, reformedMs, resumedMs, rejoinedMs);
    assertEveryInvariantHolds(fault);
  }

  private static ClusterChecks.Round assertEveryInvariantHolds(String after) {
    ClusterChecks.Round round = checks.run(SETTLE);
    log("after %s: %s", after, round.summary());
    assertThat(round.problems()).as("invariants after " + after).isEmpty();
    return round;
  }

  private static void log(String format, Object... args) {
    System.out.printf("[cluster-faults %5.1fs] %s%n", (System.nanoTime() - suiteStart) / 1e9, String.format(format, args));
  }
}
