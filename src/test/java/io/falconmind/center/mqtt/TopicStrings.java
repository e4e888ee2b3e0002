package io.falconmind.center.mqtt;

import java.util.ArrayList;
import java.util.List;

/** Topic names and filters built exhaustively, for tests that check matching everywhere. */
public final class TopicStrings {

  private TopicStrings() {
  }

  /** Every string of 1 to {@code maxLevels} levels joined with {@code /}, each level one of {@code names}. */
  public static List<String> everyJoin(List<String> names, int maxLevels) {
    List<String> out = new ArrayList<>(names);
    List<String> last = names;
    for (int n = 2; n <= maxLevels; n++) {
      List<String> next = new ArrayList<>();
      for (String prefix : last) for (String name : names) next.add(prefix + "/" + name);
      out.addAll(next);
      last = next;
    }
    return out;
  }
}
