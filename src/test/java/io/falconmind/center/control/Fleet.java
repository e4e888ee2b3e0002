package io.falconmind.center.control;

import io.falconmind.center.control.Command.AssignMissions;
import io.falconmind.center.control.Command.Assignment;
import io.falconmind.center.control.Command.ReportStatuses;
import io.falconmind.center.control.Command.StatusReport;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/** A control state machine driven through commands, with a clock the test moves. */
public final class Fleet {

  public final ControlState state = new ControlState();
  public final ControlStateMachine machine;
  public long now = 1_700_000_000_000L;
  private long index;

  public Fleet() {
    this(new ControlPolicy(1_000, 60_000));
  }

  public Fleet(ControlPolicy policy) {
    machine = new ControlStateMachine(state, policy);
  }

  public Applied apply(Command c) {
    return machine.apply(++index, c);
  }

  public Fleet device(String id, String kind, int capacity, String... capabilities) {
    apply(new Command.RegisterDevice(id, id, Map.of(), "salt$hash", now));
    apply(new Command.UpdateProfile(id, kind, List.of(capabilities), capacity, new JsonObject(), Map.of(), now));
    apply(new Command.DeviceConnected(id, "n1", now));
    return this;
  }

  public Applied submit(MissionSpec spec) {
    return apply(new Command.SubmitMissions(List.of(spec), now));
  }

  public Applied assign(String missionId, String deviceId, int attempt) {
    return apply(new AssignMissions(List.of(new Assignment(missionId, deviceId, attempt)), 0, now));
  }

  public Applied report(String missionId, String deviceId, int attempt, AttemptStatus status, JsonObject error) {
    return apply(new ReportStatuses(List.of(new StatusReport(missionId, deviceId, attempt, status, null,
        status == AttemptStatus.SUCCEEDED ? new JsonObject().put("ok", true) : null, error)), now));
  }

  public Mission mission(String id) {
    return state.mission(id);
  }

  /** A mission spec with test defaults; tweak with the with* methods. */
  public static SpecBuilder aMission(String id) {
    return new SpecBuilder(id);
  }

  public static final class SpecBuilder {
    private final String id;
    private int priority = 50;
    private int timeoutSec = 60;
    private int maxAttempts = 3;
    private Long deadline;
    private String key;
    private String hash = "h";
    private Requirements requirements = Requirements.NONE;

    SpecBuilder(String id) {
      this.id = id;
    }

    public SpecBuilder priority(int p) {
      priority = p;
      return this;
    }

    public SpecBuilder timeoutSec(int t) {
      timeoutSec = t;
      return this;
    }

    public SpecBuilder maxAttempts(int n) {
      maxAttempts = n;
      return this;
    }

    public SpecBuilder deadline(long at) {
      deadline = at;
      return this;
    }

    public SpecBuilder idempotencyKey(String k, String requestHash) {
      key = k;
      hash = requestHash;
      return this;
    }

    public SpecBuilder requiring(Requirements r) {
      requirements = r;
      return this;
    }

    public MissionSpec build() {
      return new MissionSpec(id, "survey", priority, new JsonObject().put("area", "A"), requirements,
          timeoutSec, maxAttempts, deadline, key, hash);
    }
  }
}
