package io.falconmind.center.mqtt;

import io.falconmind.center.mqtt.OutboundWindow.Outgoing;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OutboundWindowTest {

  @Test
  void sendsUpToTheWindowAndQueuesTheRest() {
    OutboundWindow w = new OutboundWindow(2, 10);
    Outgoing a = w.offer("t", "a", 0);
    Outgoing b = w.offer("t", "b", 0);
    Outgoing c = w.offer("t", "c", 0);
    assertThat(a.packetId()).isEqualTo(1);
    assertThat(b.packetId()).isEqualTo(2);
    assertThat(c).isNull();
    List<Outgoing> next = w.acknowledged(1, 5);
    assertThat(next).extracting(Outgoing::payload).containsExactly("c");
    assertThat(next.get(0).packetId()).isEqualTo(3);
    assertThat(w.inFlight()).isEqualTo(2);
  }

  @Test
  void unknownAcknowledgementsChangeNothing() {
    OutboundWindow w = new OutboundWindow(1, 10);
    w.offer("t", "a", 0);
    w.offer("t", "b", 0);
    assertThat(w.acknowledged(42, 0)).isEmpty();
    assertThat(w.inFlight()).isEqualTo(1);
  }

  @Test
  void dropsTheOldestQueuedMessageWhenTheQueueIsFull() {
    OutboundWindow w = new OutboundWindow(1, 2);
    w.offer("t", "a", 0);
    w.offer("t", "b", 0);
    w.offer("t", "c", 0);
    w.offer("t", "d", 0);
    assertThat(w.dropped()).isEqualTo(1);
    assertThat(w.pending()).extracting(Outgoing::payload).containsExactly("a", "c", "d");
  }

  @Test
  void resendsWhatIsUnacknowledgedPastTheTimeout() {
    OutboundWindow w = new OutboundWindow(5, 10);
    w.offer("t", "old", 0);
    w.offer("t", "new", 100);
    assertThat(w.due(50, 200)).extracting(Outgoing::payload).containsExactly("old");
    assertThat(w.due(50, 300)).isEmpty();
  }

  @Test
  void packetIdsWrapAndSkipIdsStillInFlight() {
    OutboundWindow w = new OutboundWindow(3, 10);
    List<Outgoing> restored = w.restore(List.of(new Outgoing("t", "x", 65535), new Outgoing("t", "y", 1)), 0);
    assertThat(restored).extracting(Outgoing::packetId).containsExactly(65535, 1);
    assertThat(w.offer("t", "z", 0).packetId()).isEqualTo(2);
  }

  @Test
  void restoredMessagesWithoutIdsAreNumberedOrQueued() {
    OutboundWindow w = new OutboundWindow(1, 10);
    List<Outgoing> now = w.restore(List.of(new Outgoing("t", "a", 7), new Outgoing("t", "b", 0)), 0);
    assertThat(now).extracting(Outgoing::payload).containsExactly("a");
    assertThat(w.acknowledged(7, 1)).extracting(Outgoing::payload).containsExactly("b");
  }
}
