package io.falconmind.center.it.partition;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts {@link LoopbackNode}s apart with iptables and removes exactly the rules it added. For each
 * ordered pair (from, to) it drops two kinds of traffic on {@code lo}:
 * <ul>
 *   <li>{@code INPUT -i lo -s from -d to}: packets whose source is the sender's own address —
 *   Hazelcast binds its outgoing sockets to {@code cluster.host};</li>
 *   <li>{@code OUTPUT -o lo -m owner --gid-owner from.groupId -d to}: everything else the sender's
 *   process sends to that address — the clustered event bus client does not bind its sockets, and
 *   the kernel sources a connection to any 127/8 address from 127.0.0.1, which address rules alone
 *   cannot tell apart from the other nodes (or from the test's own HTTP client).</li>
 * </ul>
 * Every rule carries the comment {@value #COMMENT}, so a leftover is easy to find ({@code iptables -S}).
 *
 * <p>Needs root and the {@code iptables} command: {@link #open()} fails with an {@link AssertionError}
 * saying so instead of letting the test pass without a partition. {@link #heal()} (and
 * {@link #close()}, and a shutdown hook while rules are in place) deletes the rules in reverse order;
 * it reports rules it could not delete instead of throwing halfway.
 */
final class LoopbackFirewall implements AutoCloseable {

  static final String COMMENT = "falconmind-partition-it";

  private final HostCommand iptables;
  private final List<List<String>> added = new ArrayList<>();
  private final Thread healOnExit = new Thread(this::heal, "partition-it-heal");
  private boolean hookInstalled;

  private LoopbackFirewall(HostCommand iptables) {
    this.iptables = iptables;
  }

  /** A firewall over this machine's iptables, or an {@link AssertionError} saying why there is none. */
  static LoopbackFirewall open() {
    HostCommand iptables = HostCommand.locate("iptables").orElseThrow(() -> new AssertionError(
        "iptables is missing: the partition test cuts nodes apart with it (Debian package iptables; "
            + ".ci/run installs it)"));
    for (String chain : List.of("INPUT", "OUTPUT")) {
      HostCommand.Result listed = iptables.run(List.of("-w", "-S", chain));
      if (listed.exitCode() != 0) {
        throw new AssertionError("iptables is not usable (the partition test must run as root): `iptables -w -S "
            + chain + "` exited with " + listed.exitCode() + ": " + listed.output());
      }
    }
    return new LoopbackFirewall(iptables);
  }

  /** Drops all traffic between {@code node} and each of {@code peers}, both directions. */
  synchronized void isolate(LoopbackNode node, List<LoopbackNode> peers) {
    if (!hookInstalled) {
      Runtime.getRuntime().addShutdownHook(healOnExit);
      hookInstalled = true;
    }
    for (LoopbackNode peer : peers) {
      drop(node, peer);
      drop(peer, node);
    }
  }

  private void drop(LoopbackNode from, LoopbackNode to) {
    add(List.of("INPUT", "-i", "lo", "-s", from.address, "-d", to.address));
    add(List.of("OUTPUT", "-o", "lo", "-m", "owner", "--gid-owner", String.valueOf(from.groupId), "-d", to.address));
  }

  private void add(List<String> match) {
    List<String> rule = new ArrayList<>(match);
    rule.addAll(List.of("-m", "comment", "--comment", COMMENT, "-j", "DROP"));
    List<String> args = new ArrayList<>(List.of("-w", "-A"));
    args.addAll(rule);
    HostCommand.Result result = iptables.run(args);
    if (result.exitCode() != 0) {
      throw new AssertionError("iptables " + String.join(" ", args) + " failed (" + result.exitCode() + "): "
          + result.output());
    }
    added.add(rule);
  }

  /**
   * Deletes every rule this firewall added, newest first; throws an {@link AssertionError} naming the
   * rules left behind when a delete fails (after trying all of them).
   */
  synchronized void heal() {
    List<String> failures = new ArrayList<>();
    for (int i = added.size() - 1; i >= 0; i--) {
      List<String> args = new ArrayList<>(List.of("-w", "-D"));
      args.addAll(added.get(i));
      HostCommand.Result result = iptables.run(args);
      if (result.exitCode() != 0) {
        failures.add("iptables " + String.join(" ", args) + " (" + result.exitCode() + "): " + result.output());
      }
    }
    added.clear();
    if (!failures.isEmpty()) throw new AssertionError("firewall rules not removed:\n" + String.join("\n", failures));
  }

  @Override
  public synchronized void close() {
    try {
      heal();
    } finally {
      if (hookInstalled) {
        try {
          Runtime.getRuntime().removeShutdownHook(healOnExit);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running or about to: it heals
        }
        hookInstalled = false;
      }
    }
  }
}
