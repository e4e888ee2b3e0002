package io.falconmind.center.broker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The subscriptions of a node's clients, as a tree of topic levels, matched against topic names
 * with the MQTT rules: {@code +} matches one whole level, {@code #} the rest (its parent level
 * included), and a filter starting with a wildcard never matches a topic starting with {@code $}.
 *
 * <p>Thread-safe: matching is lock-free and runs on any event loop; changes are serialized by one
 * lock and prune the levels they empty. A match that runs concurrently with a change sees the tree
 * either before or after it, per level.
 */
public final class SubscriptionTree {

  /** How one member of a shared subscription group is picked for each message. */
  public enum SharedStrategy {
    /** Members in turn. */
    ROUND_ROBIN,
    /** Any member, at random. */
    RANDOM,
    /** The same member for the same publisher, so one publisher's messages stay in order. */
    STICKY
  }

  /**
   * One client's share of a message: the highest QoS over its matching subscriptions, and what
   * those subscriptions ask for.
   */
  public static final class Match {
    final String clientId;
    int qos;
    boolean retainAsPublished;
    final String group;
    final String groupFilter;
    List<Integer> identifiers;

    Match(String clientId, String group, String groupFilter) {
      this.clientId = clientId;
      this.group = group;
      this.groupFilter = groupFilter;
    }

    public String clientId() {
      return clientId;
    }

    public int qos() {
      return qos;
    }

    public boolean retainAsPublished() {
      return retainAsPublished;
    }

    /** Delivered through a shared subscription (never with the RETAIN flag of a retained message). */
    public boolean shared() {
      return group != null;
    }

    /** The shared-subscription key ({@link #groupKey}) this match was picked for, or null. */
    public String groupKey() {
      return group == null ? null : SubscriptionTree.groupKey(group, groupFilter);
    }

    /** MQTT 5 subscription identifiers of the matching subscriptions; empty when none. */
    public List<Integer> identifiers() {
      return identifiers == null ? List.of() : identifiers;
    }

    void add(Subscription s) {
      qos = Math.max(qos, s.qos());
      retainAsPublished |= s.retainAsPublished();
      if (s.identifier() > 0) {
        if (identifiers == null) identifiers = new ArrayList<>(2);
        identifiers.add(s.identifier());
      }
    }
  }

  /** Up to this many children, a level is also searched by walking them instead of by name. */
  private static final int FEW_CHILDREN = 8;

  private static final class Level {
    final String name;
    final ConcurrentHashMap<String, Level> children = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, Subscription> subscribers = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, Group> groups = new ConcurrentHashMap<>();
    /**
     * The children while there are at most {@link #FEW_CHILDREN}, else null: matching compares a
     * topic's level with their names in place, instead of cutting it out of the topic to look it up.
     */
    volatile Level[] few = new Level[0];
    /** {@link #subscribers} as they were at a {@link #version}; rebuilt by the first match after a change. */
    private volatile Snapshot snapshot;
    /** Counts the changes of {@link #subscribers}; raised after each, under the tree's lock. */
    private volatile int version;

    Level(String name) {
      this.name = name;
    }

    /** After a change of {@link #subscribers}, under the tree's lock. */
    void subscribersChanged() {
      version++;
    }

    /**
     * The ordinary subscriptions, as an array that matching walks without allocating: the one
     * built after the latest change, or built now. One built while a change was made is replaced
     * by the next caller.
     */
    Member[] ordinary() {
      int v = version;
      Snapshot s = snapshot;
      if (s != null && s.version == v) return s.members;
      List<Member> now = new ArrayList<>(subscribers.size());
      subscribers.forEach((clientId, sub) -> now.add(new Member(clientId, sub)));
      Member[] members = now.toArray(new Member[0]);
      snapshot = new Snapshot(v, members);
      return members;
    }

    /** After a change of {@link #children}, under the tree's lock. */
    void childrenChanged() {
      few = children.size() <= FEW_CHILDREN ? children.values().toArray(new Level[0]) : null;
    }

    /** The child named by {@code topic} from {@code start} to {@code end}, or null. */
    Level child(String topic, int start, int end) {
      Level[] small = few;
      if (small == null) return children.get(topic.substring(start, end));
      int length = end - start;
      for (Level c : small) {
        if (c.name.length() == length && topic.regionMatches(start, c.name, 0, length)) return c;
      }
      return null;
    }

    boolean isEmpty() {
      return children.isEmpty() && subscribers.isEmpty() && groups.isEmpty();
    }
  }

  private record Member(String clientId, Subscription subscription) {
  }

  private record Snapshot(int version, Member[] members) {
  }

  private static final class Group {
    final String name;
    final String filter;
    final CopyOnWriteArrayList<Member> members = new CopyOnWriteArrayList<>();
    final AtomicInteger next = new AtomicInteger();

    Group(String name, String filter) {
      this.name = name;
      this.filter = filter;
    }
  }

  /** Names one shared subscription group on one filter. */
  public static String groupKey(String group, String filter) {
    return group + "\u0000" + filter;
  }

  private final Level root = new Level("");
  private final Object changes = new Object();
  private final SharedStrategy strategy;
  private final AtomicInteger count = new AtomicInteger();

  public SubscriptionTree(SharedStrategy strategy) {
    this.strategy = strategy;
  }

  /** Number of subscriptions held. */
  public int size() {
    return count.get();
  }

  /** Adds or replaces {@code clientId}'s subscription to {@code s.filter()} (in its share group, if any). */
  public boolean subscribe(String clientId, Subscription s) {
    synchronized (changes) {
      Level level = root;
      for (String part : s.filter().split("/", -1)) {
        Level child = level.children.get(part);
        if (child == null) {
          child = new Level(part);
          level.children.put(part, child);
          level.childrenChanged();
        }
        level = child;
      }
      boolean added;
      if (s.shareGroup() == null) {
        added = level.subscribers.put(clientId, s) == null;
        level.subscribersChanged();
      } else {
        Group g = level.groups.computeIfAbsent(s.shareGroup(), k -> new Group(k, s.filter()));
        added = g.members.removeIf(m -> m.clientId().equals(clientId)) ? false : true;
        g.members.add(new Member(clientId, s));
      }
      if (added) count.incrementAndGet();
      return added;
    }
  }

  /** Removes {@code clientId}'s subscription to {@code filter} in {@code shareGroup} (null: ordinary). */
  public boolean unsubscribe(String clientId, String filter, String shareGroup) {
    synchronized (changes) {
      String[] parts = filter.split("/", -1);
      Level[] path = new Level[parts.length + 1];
      path[0] = root;
      for (int i = 0; i < parts.length; i++) {
        path[i + 1] = path[i].children.get(parts[i]);
        if (path[i + 1] == null) return false;
      }
      Level leaf = path[parts.length];
      boolean removed;
      if (shareGroup == null) {
        removed = leaf.subscribers.remove(clientId) != null;
        if (removed) leaf.subscribersChanged();
      } else {
        Group g = leaf.groups.get(shareGroup);
        removed = g != null && g.members.removeIf(m -> m.clientId().equals(clientId));
        if (g != null && g.members.isEmpty()) leaf.groups.remove(shareGroup);
      }
      if (removed) count.decrementAndGet();
      for (int i = parts.length; i > 0 && path[i].isEmpty(); i--) {
        if (path[i - 1].children.remove(parts[i - 1], path[i])) path[i - 1].childrenChanged();
      }
      return removed;
    }
  }

  /**
   * Who receives a message published to {@code topic}: one entry per client with ordinary
   * subscriptions (merged), then one per shared group, its member picked by the strategy among
   * those {@code available} (any member when none is).
   *
   * @param publisher the publishing client id (for no-local and the sticky strategy), or null
   */
  public List<Match> match(String topic, String publisher, Predicate<String> available) {
    return match(topic, publisher, available, available, true, key -> true);
  }

  /**
   * As {@link #match(String, String, Predicate)}, limited to the ordinary subscriptions when
   * {@code ordinary}, and to the shared groups whose {@link #groupKey} {@code groups} accepts; a
   * shared group's member is picked among those {@code ready} when any is (not for the sticky
   * strategy, which keeps to its member while it is available), else among those available.
   */
  public List<Match> match(String topic, String publisher, Predicate<String> available, Predicate<String> ready,
                           boolean ordinary, Predicate<String> groups) {
    List<Level> hits = new ArrayList<>(4);
    collect(root, topic, 0, topic.startsWith("$"), hits);
    int levels = hits.size();
    // this runs for every publication: indexed loops and the levels' snapshots allocate nothing
    int expected = 1;
    for (int i = 0; ordinary && i < levels; i++) expected += hits.get(i).ordinary().length;
    List<Match> out = new ArrayList<>(expected);
    // a client matches more than once only through more than one level: only then are its
    // subscriptions merged by client id (one level is the rule)
    Map<String, Match> merged = ordinary && levels > 1 ? new HashMap<>() : null;
    List<Match> shared = null;
    for (int i = 0; i < levels; i++) {
      Level level = hits.get(i);
      if (ordinary) {
        for (Member member : level.ordinary()) {
          Subscription s = member.subscription();
          if (s.noLocal() && member.clientId().equals(publisher)) continue;
          if (merged != null) {
            merged.computeIfAbsent(member.clientId(), id -> new Match(id, null, null)).add(s);
          } else {
            Match m = new Match(member.clientId(), null, null);
            m.add(s);
            out.add(m);
          }
        }
      }
      if (!level.groups.isEmpty()) {
        for (Group g : level.groups.values()) {
          if (!groups.test(groupKey(g.name, g.filter))) continue;
          Member m = pick(g, publisher, available, ready);
          if (m == null) continue;
          Match match = new Match(m.clientId(), g.name, g.filter);
          match.add(m.subscription());
          if (shared == null) shared = new ArrayList<>(2);
          shared.add(match);
        }
      }
    }
    if (merged != null) out.addAll(merged.values());
    if (shared != null) out.addAll(shared);
    return out;
  }

  /**
   * Adds the levels under {@code level} whose subscriptions match the rest of {@code topic}, from
   * {@code start} (the start of a level; past the end once the topic has no more levels).
   */
  private static void collect(Level level, String topic, int start, boolean dollar, List<Level> hits) {
    boolean top = start == 0;
    Level hash = top && dollar ? null : level.children.get("#");
    if (hash != null) hits.add(hash);
    if (start > topic.length()) {
      hits.add(level);
      return;
    }
    int slash = topic.indexOf('/', start);
    int end = slash < 0 ? topic.length() : slash;
    Level exact = level.child(topic, start, end);
    if (exact != null) collect(exact, topic, end + 1, dollar, hits);
    Level plus = top && dollar ? null : level.children.get("+");
    if (plus != null) collect(plus, topic, end + 1, dollar, hits);
  }

  private Member pick(Group g, String publisher, Predicate<String> available, Predicate<String> ready) {
    List<Member> members = g.members;
    int n = members.size();
    if (n == 0) return null;
    int start = switch (strategy) {
      case ROUND_ROBIN -> Math.floorMod(g.next.getAndIncrement(), n);
      case RANDOM -> ThreadLocalRandom.current().nextInt(n);
      case STICKY -> Math.floorMod(publisher == null ? 0 : publisher.hashCode(), n);
    };
    boolean choosy = ready != available && strategy != SharedStrategy.STICKY;
    Member fallback = null;
    for (int k = 0; k < n; k++) {
      Member m = members.get((start + k) % n);
      if (!choosy) {
        if (available.test(m.clientId())) return m;
      } else if (ready.test(m.clientId())) {
        return m;
      } else if (fallback == null && available.test(m.clientId())) {
        fallback = m;
      }
    }
    return fallback != null ? fallback : members.get(start % n);
  }
}
