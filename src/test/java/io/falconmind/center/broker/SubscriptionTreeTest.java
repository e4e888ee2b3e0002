package io.falconmind.center.broker;

import io.falconmind.center.mqtt.TopicFilter;
import io.falconmind.center.mqtt.TopicStrings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** Matching topics against the subscription tree, with the MQTT rules. */
class SubscriptionTreeTest {

  private final SubscriptionTree tree = new SubscriptionTree(SubscriptionTree.SharedStrategy.ROUND_ROBIN);

  private static Subscription sub(String filter, int qos) {
    return new Subscription(filter, null, qos, false, false, 0, 0);
  }

  private List<String> clients(String topic) {
    List<String> out = new ArrayList<>();
    for (SubscriptionTree.Match m : tree.match(topic, null, id -> true)) out.add(m.clientId());
    return out;
  }

  @Test
  void wildcardsMatchWholeLevelsAndHashMatchesItsParent() {
    tree.subscribe("plus", sub("a/+/c", 0));
    tree.subscribe("hash", sub("a/#", 0));
    tree.subscribe("exact", sub("a/b/c", 0));
    tree.subscribe("empty-level", sub("a//c", 0));

    assertThat(clients("a/b/c")).containsExactlyInAnyOrder("plus", "hash", "exact");
    assertThat(clients("a")).containsExactly("hash");
    assertThat(clients("a//c")).containsExactlyInAnyOrder("plus", "hash", "empty-level");
    assertThat(clients("a/b/c/d")).containsExactly("hash");
    assertThat(clients("b/b/c")).isEmpty();
  }

  /** Every filter of up to three levels over a small alphabet, one client each, against every topic. */
  @Test
  void matchesExactlyTheFiltersThatMatchTheTopic() {
    List<String> filters = TopicStrings.everyJoin(List.of("", "a", "+", "#", "$x"), 3).stream()
        .filter(TopicFilter::isValidFilter).toList();
    for (String f : filters) tree.subscribe(f, sub(f, 0));
    for (String topic : TopicStrings.everyJoin(List.of("", "a", "b", "$x"), 4)) {
      List<String> expected = filters.stream().filter(f -> TopicFilter.matches(f, topic)).toList();
      assertThat(clients(topic)).as(topic).containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  /** Levels with many children are looked up by name, levels with few by walking them: both alike. */
  @Test
  void aLevelMatchesTheSameWhetherItHasFewChildrenOrMany() {
    for (int i = 0; i < 20; i++) tree.subscribe("c" + i, sub("a/" + i + "/x", 0));
    tree.subscribe("plus", sub("a/+/x", 0));

    assertThat(clients("a/1/x")).containsExactlyInAnyOrder("c1", "plus");
    assertThat(clients("a/10/x")).containsExactlyInAnyOrder("c10", "plus");
    assertThat(clients("a/100/x")).containsExactly("plus");

    for (int i = 2; i < 20; i++) tree.unsubscribe("c" + i, "a/" + i + "/x", null);
    assertThat(clients("a/1/x")).containsExactlyInAnyOrder("c1", "plus");
    assertThat(clients("a/10/x")).containsExactly("plus");
    assertThat(clients("a/0/x")).containsExactlyInAnyOrder("c0", "plus");

    tree.subscribe("c10", sub("a/10/x", 1));
    assertThat(clients("a/10/x")).containsExactlyInAnyOrder("c10", "plus");
    tree.unsubscribe("c1", "a/1/x", null);
    assertThat(clients("a/1/x")).containsExactly("plus");
    tree.unsubscribe("plus", "a/+/x", null);
    assertThat(clients("a/10/x")).containsExactly("c10");
    assertThat(clients("a/1/x")).isEmpty();
  }

  @Test
  void leadingWildcardsDoNotMatchDollarTopics() {
    tree.subscribe("all", sub("#", 0));
    tree.subscribe("plus", sub("+/broker/x", 0));
    tree.subscribe("sys", sub("$SYS/#", 0));

    assertThat(clients("$SYS/broker/x")).containsExactly("sys");
    assertThat(clients("x/broker/x")).containsExactlyInAnyOrder("all", "plus");
  }

  @Test
  void overlappingSubscriptionsOfOneClientMergeToTheHighestQosAndAllIdentifiers() {
    tree.subscribe("c", new Subscription("a/+", null, 0, false, false, 0, 3));
    tree.subscribe("c", new Subscription("a/#", null, 2, false, true, 0, 5));

    List<SubscriptionTree.Match> matches = tree.match("a/b", null, id -> true);

    assertThat(matches).hasSize(1);
    assertThat(matches.get(0).qos()).isEqualTo(2);
    assertThat(matches.get(0).retainAsPublished()).isTrue();
    assertThat(matches.get(0).identifiers()).containsExactlyInAnyOrder(3, 5);
  }

  @Test
  void noLocalLeavesOutThePublisher() {
    tree.subscribe("me", new Subscription("t", null, 1, true, false, 0, 0));
    tree.subscribe("other", sub("t", 1));

    assertThat(tree.match("t", "me", id -> true)).extracting(SubscriptionTree.Match::clientId).containsExactly("other");
    assertThat(tree.match("t", "someone", id -> true)).hasSize(2);
  }

  @Test
  void aSharedGroupGivesEachMessageToOneMemberInTurnPreferringAvailableOnes() {
    tree.subscribe("w1", new Subscription("jobs/#", "g", 1, false, false, 0, 0));
    tree.subscribe("w2", new Subscription("jobs/#", "g", 1, false, false, 0, 0));
    tree.subscribe("w3", new Subscription("jobs/#", "g", 1, false, false, 0, 0));
    tree.subscribe("plain", sub("jobs/#", 1));

    List<String> picked = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      for (SubscriptionTree.Match m : tree.match("jobs/x", null, id -> true)) {
        if (m.shared()) picked.add(m.clientId());
        else assertThat(m.clientId()).isEqualTo("plain");
      }
    }
    assertThat(picked).containsExactly("w1", "w2", "w3", "w1", "w2", "w3");

    Set<String> online = Set.of("w3");
    for (int i = 0; i < 4; i++) {
      List<SubscriptionTree.Match> shared = tree.match("jobs/x", null, online::contains).stream()
          .filter(SubscriptionTree.Match::shared).toList();
      assertThat(shared).extracting(SubscriptionTree.Match::clientId).containsExactly("w3");
    }
  }

  @Test
  void aSharedGroupPrefersMembersThatKeepUpThenAnyOnlineOne() {
    for (String w : List.of("w1", "w2", "w3")) tree.subscribe(w, new Subscription("jobs/#", "g", 1, false, false, 0, 0));
    Set<String> online = Set.of("w1", "w2");
    Set<String> keepingUp = Set.of("w2", "w3");

    for (int i = 0; i < 4; i++) {
      assertThat(tree.match("jobs/x", null, online::contains, id -> online.contains(id) && keepingUp.contains(id), true, k -> true))
          .extracting(SubscriptionTree.Match::clientId).as("online and keeping up").containsExactly("w2");
    }
    Set<String> picked = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      picked.add(tree.match("jobs/x", null, online::contains, id -> false, true, k -> true).get(0).clientId());
    }
    assertThat(picked).as("none keeps up: the online ones in turn").containsExactlyInAnyOrder("w1", "w2");

    SubscriptionTree sticky = new SubscriptionTree(SubscriptionTree.SharedStrategy.STICKY);
    for (String w : List.of("w1", "w2", "w3")) sticky.subscribe(w, new Subscription("jobs/#", "g", 1, false, false, 0, 0));
    String first = sticky.match("jobs/x", "p", id -> true).get(0).clientId();
    assertThat(sticky.match("jobs/x", "p", id -> true, id -> !id.equals(first), true, k -> true).get(0).clientId())
        .as("sticky keeps a publisher's order: its member while available").isEqualTo(first);
  }

  @Test
  void theStickyStrategyKeepsAPublisherOnOneMember() {
    SubscriptionTree sticky = new SubscriptionTree(SubscriptionTree.SharedStrategy.STICKY);
    for (String w : List.of("w1", "w2", "w3")) sticky.subscribe(w, new Subscription("q", "g", 0, false, false, 0, 0));

    String first = sticky.match("q", "publisher-7", id -> true).get(0).clientId();
    for (int i = 0; i < 10; i++) {
      assertThat(sticky.match("q", "publisher-7", id -> true).get(0).clientId()).isEqualTo(first);
    }
  }

  @Test
  void onlyTheGroupsAskedForAreServed() {
    tree.subscribe("w1", new Subscription("t/#", "g1", 0, false, false, 0, 0));
    tree.subscribe("w2", new Subscription("t/#", "g2", 0, false, false, 0, 0));
    tree.subscribe("plain", sub("t/#", 0));

    List<SubscriptionTree.Match> matches = tree.match("t/a", null, id -> true, id -> true, false,
        key -> key.equals(SubscriptionTree.groupKey("g2", "t/#")));

    assertThat(matches).extracting(SubscriptionTree.Match::clientId).containsExactly("w2");
  }

  @Test
  void unsubscribingRemovesAndCountsAndReplacingDoesNotCountTwice() {
    tree.subscribe("c", sub("a/b/c", 0));
    tree.subscribe("c", sub("a/b/c", 1));
    tree.subscribe("g", new Subscription("a/b/c", "grp", 0, false, false, 0, 0));
    assertThat(tree.size()).isEqualTo(2);

    assertThat(tree.unsubscribe("c", "a/b/c", null)).isTrue();
    assertThat(tree.unsubscribe("c", "a/b/c", null)).isFalse();
    assertThat(tree.unsubscribe("g", "a/b/c", "grp")).isTrue();
    assertThat(tree.size()).isZero();
    assertThat(clients("a/b/c")).isEmpty();
  }

  @Test
  void everyMatchSeesTheSubscriptionsAsTheyAreAfterEachChange() {
    tree.subscribe("c", sub("a/b", 0));
    assertThat(tree.match("a/b", null, id -> true)).singleElement().extracting(SubscriptionTree.Match::qos).isEqualTo(0);

    tree.subscribe("c", sub("a/b", 2));
    assertThat(tree.match("a/b", null, id -> true)).singleElement().extracting(SubscriptionTree.Match::qos).isEqualTo(2);
    tree.subscribe("d", sub("a/b", 1));
    assertThat(clients("a/b")).containsExactlyInAnyOrder("c", "d");
    tree.unsubscribe("c", "a/b", null);
    assertThat(clients("a/b")).containsExactly("d");
    tree.unsubscribe("d", "a/b", null);
    assertThat(clients("a/b")).isEmpty();
    tree.subscribe("e", sub("a/b", 0));
    assertThat(clients("a/b")).containsExactly("e");
  }

  /** Matching while other threads subscribe and unsubscribe: once they stop, every match sees the end state. */
  @Test
  void matchesRacingWithChangesSettleOnTheLastChange() throws Exception {
    int writers = 4;
    int perWriter = 2_000;
    AtomicBoolean stop = new AtomicBoolean();
    Thread matcher = new Thread(() -> {
      while (!stop.get()) tree.match("r/t", null, id -> true);
    });
    matcher.start();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread t = new Thread(() -> {
        for (int i = 0; i < perWriter; i++) {
          String id = "w" + writer + "-" + i;
          tree.subscribe(id, sub("r/t", 0));
          tree.match("r/t", null, x -> true);
          // every other client leaves again
          if (i % 2 == 1) tree.unsubscribe(id, "r/t", null);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(30));
    stop.set(true);
    matcher.join(TimeUnit.SECONDS.toMillis(30));

    List<String> expected = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < perWriter; i += 2) expected.add("w" + w + "-" + i);
    }
    assertThat(clients("r/t")).containsExactlyInAnyOrderElementsOf(expected);
  }
}
