package io.falconmind.center.api;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlPolicy;
import io.falconmind.center.control.ControlState;
import io.falconmind.center.control.ControlStateMachine;
import io.falconmind.center.control.Event;
import io.falconmind.center.control.Mission;
import io.falconmind.center.control.MissionState;
import io.falconmind.center.control.NodeStatus;
import io.falconmind.center.control.PersistedEvents;
import io.falconmind.center.store.MissionFilter;
import io.falconmind.center.store.MissionPage;
import io.falconmind.center.store.StoreClient;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real control state machine answering the control and store addresses of one in-process node,
 * without Raft or PostgreSQL: every command is "committed and persisted" as soon as it is applied.
 * For fast component tests of the HTTP layer; the {@code *IT} tests run against a real node.
 */
final class InProcessControlPlane extends VerticleBase {

  private final ControlState state = new ControlState();
  private final ControlStateMachine machine = new ControlStateMachine(state, ControlPolicy.DEFAULT);
  private final List<Event> events = new ArrayList<>();
  private final Map<String, Mission> stored = new LinkedHashMap<>();
  private final DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
  private long index;
  volatile boolean leader = true;

  @Override
  public Future<?> start() {
    ControlClient.registerCodecs(vertx);
    new StoreClient(vertx);
    return Future.all(
        vertx.eventBus().<Command>localConsumer(ControlClient.PROPOSE, this::propose).completion(),
        vertx.eventBus().<ControlClient.Query>localConsumer(ControlClient.QUERY, this::query).completion(),
        vertx.eventBus().localConsumer(StoreClient.QUERY, this::store).completion());
  }

  private void propose(Message<Command> m) {
    if (!leader) {
      m.fail(503, "503|no-leader|no leader in this test");
      return;
    }
    Applied applied = machine.apply(++index, m.body());
    for (Event e : applied.events()) {
      events.add(e);
      if (e.mission() != null) stored.put(e.mission().id(), e.mission());
    }
    vertx.eventBus().publish(ControlClient.PERSISTED, new PersistedEvents(index, state.seq(), applied.events()), local);
    m.reply(applied, local);
  }

  private void query(Message<ControlClient.Query> m) {
    ControlClient.Query q = m.body();
    Object answer;
    switch (q.op()) {
      case "mission": answer = state.mission(q.id()); break;
      case "device": answer = state.device(q.id()); break;
      case "devices": answer = new ArrayList<>(state.devices()); break;
      case "stats": answer = stats(); break;
      case "status": answer = new NodeStatus("n1", leader ? "LEADER" : "FOLLOWER", 1, leader ? "n1" : null,
          index, index, index, state.seq(), state.seq()); break;
      default: m.fail(400, "400|bad-query|" + q.op()); return;
    }
    m.reply(answer, local);
  }

  private JsonObject stats() {
    JsonObject byState = new JsonObject();
    for (MissionState s : MissionState.values()) byState.put(s.name(), 0);
    for (Mission mission : state.missions()) byState.put(mission.state().name(), byState.getInteger(mission.state().name()) + 1);
    return new JsonObject().put("missions", byState).put("queued", byState.getInteger("QUEUED"))
        .put("devices", state.devices().size()).put("devicesOnline", 0).put("seq", state.seq()).put("index", index);
  }

  private void store(Message<Object> m) {
    String op = m.headers().get(StoreClient.OP_HEADER);
    switch (op) {
      case "ping": m.reply(new JsonObject()); break;
      case "mission": m.reply(stored.get((String) m.body()), local); break;
      case "oldestEventSeq": m.reply(events.isEmpty() ? 0L : events.get(0).seq()); break;
      case "eventsAfter": {
        JsonObject q = (JsonObject) m.body();
        JsonArray out = new JsonArray();
        for (Event e : events) {
          if (e.seq() > q.getLong("afterSeq") && out.size() < q.getInteger("limit")) out.add(e.toJson());
        }
        m.reply(out);
        break;
      }
      case "missions": {
        MissionFilter f = (MissionFilter) m.body();
        if (f.after() != null && !f.after().matches("\\d+")) {
          m.fail(400, "invalid cursor '" + f.after() + "'");
          return;
        }
        List<Mission> all = new ArrayList<>(stored.values());
        all.sort(Comparator.comparing(Mission::createdAt).thenComparing(Mission::id).reversed());
        int from = f.after() == null ? 0 : Integer.parseInt(f.after());
        List<Mission> items = new ArrayList<>();
        int i = from;
        for (; i < all.size() && items.size() < f.limit(); i++) {
          Mission mission = all.get(i);
          if (!f.states().isEmpty() && !f.states().contains(mission.state().name())) continue;
          if (f.type() != null && !f.type().equals(mission.type())) continue;
          items.add(mission);
        }
        m.reply(new MissionPage(items, i < all.size() ? String.valueOf(i) : null), local);
        break;
      }
      default: m.fail(400, "unknown op " + op);
    }
  }
}
