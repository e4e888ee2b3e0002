package io.falconmind.center.control;

import java.util.List;
import java.util.Map;

/**
 * The whole control state at one log index, as immutable records. {@code term} is the leader term
 * whose decisions the state accepts.
 */
public record ControlSnapshot(long index, long seq, List<Device> devices, List<Mission> missions,
                             Map<String, ControlState.KeyUse> keys, long term) {

  public static final ControlSnapshot EMPTY = new ControlSnapshot(0, 0, List.of(), List.of(), Map.of(), 0);
}
