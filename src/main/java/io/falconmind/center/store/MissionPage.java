package io.falconmind.center.store;

import io.falconmind.center.control.Mission;

import java.util.List;

/** One page of missions; {@code next} is the cursor of the following page, null on the last. */
public record MissionPage(List<Mission> items, String next) {
}
