package io.falconmind.center.it.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One line saying what machine a figure was measured on: cores, memory, CPU model, JDK, load. */
final class Machine {
  private Machine() {
  }

  static String describe() {
    return String.format("%d cores (%s), %s memory, %s %s, load average %s",
        Runtime.getRuntime().availableProcessors(), cpuModel(), memory(), System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"), loadAverage());
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }

  private static String memory() {
    try {
      String line = Files.readAllLines(Path.of("/proc/meminfo")).get(0);
      long kb = Long.parseLong(line.replaceAll("\\D", ""));
      return String.format("%.1f GiB", kb / 1024.0 / 1024.0);
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }
}
