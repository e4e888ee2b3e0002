package io.falconmind.center.sim;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Settings of one simulator run, parsed once from the command line and validated. Immutable.
 *
 * @param token            admin token given on the command line or by the environment; null = read
 *                         {@code <dataDir>/admin-token} (see {@link AdminToken})
 * @param capabilities     capabilities announced per device kind
 * @param durationMs       mean run time of a mission; 0 finishes every mission at once
 * @param batteryDrain     battery percent one mission costs
 * @param rechargePerSec   battery percent an idle, charging device regains per second
 * @param area             where devices start: centre and radius
 * @param runSec           0 = run until stopped
 * @param submitRate       missions per second the simulator submits itself over REST; 0 = none
 * @param seed             seed of the fleet's randomness; null = a fresh one
 */
public record SimOptions(URI api, String mqttHost, int mqttPort, String token, Path dataDir,
                         int devices, String prefix, List<String> kinds,
                         Map<String, List<String>> capabilities, int capacity, long durationMs,
                         int progressSteps, double failRate, double rejectRate, double batteryDrain,
                         double rechargePerSec, long telemetryMs, Area area, long runSec,
                         double submitRate, String missionType, boolean cleanSession,
                         int registerConcurrency, Long seed) {

  /** A circle on the earth: centre in degrees, radius in kilometres. */
  public record Area(double lat, double lon, double radiusKm) {
  }

  static final Map<String, List<String>> DEFAULT_CAPABILITIES = Map.of(
      "drone", List.of("camera", "gps", "flight"),
      "rover", List.of("camera", "gps", "drive"),
      "sensor", List.of("temperature", "humidity"));

  public SimOptions {
    kinds = List.copyOf(kinds);
    Map<String, List<String>> caps = new LinkedHashMap<>();
    capabilities.forEach((k, v) -> caps.put(k, List.copyOf(v)));
    capabilities = Map.copyOf(caps);
  }

  /** The defaults, as {@code --help} shows them. */
  public static SimOptions defaults() {
    return parse(new String[0]);
  }

  /** The capabilities a device of this kind announces. */
  public List<String> capabilitiesOf(String kind) {
    List<String> caps = capabilities.get(kind);
    if (caps != null) return caps;
    return DEFAULT_CAPABILITIES.getOrDefault(kind, List.of());
  }

  /** Device id number {@code index} (0-based): {@code sim-0001}, {@code sim-0002}, ... */
  public String deviceId(int index) {
    int width = Math.max(4, String.valueOf(devices).length());
    return prefix + "-" + String.format(Locale.ROOT, "%0" + width + "d", index + 1);
  }

  /** The kind of device number {@code index}: the kinds taken round robin. */
  public String kindOf(int index) {
    return kinds.get(index % kinds.size());
  }

  /** Thrown for a bad command line; the message names the option. */
  public static final class UsageException extends IllegalArgumentException {
    public UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses {@code --name value} (or {@code --name=value}) options.
   *
   * @throws UsageException naming the first bad option
   */
  public static SimOptions parse(String[] args) {
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) throw new UsageException("unexpected argument '" + arg + "'");
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (FLAGS.contains(name)) {
        value = "true";
      } else {
        if (i + 1 >= args.length) throw new UsageException("--" + name + " needs a value");
        value = args[++i];
      }
      if (!KNOWN.contains(name)) throw new UsageException("unknown option --" + name);
      given.put(name, value);
    }
    return fromMap(given);
  }

  private static final List<String> FLAGS = List.of("clean-session");
  private static final List<String> KNOWN = List.of("api", "mqtt", "token", "data-dir", "devices",
      "prefix", "kinds", "capabilities", "capacity", "duration-ms", "progress-steps", "fail-rate",
      "reject-rate", "battery-drain", "recharge-rate", "telemetry-ms", "area", "run-sec",
      "submit-rate", "mission-type", "clean-session", "register-concurrency", "seed");

  private static SimOptions fromMap(Map<String, String> o) {
    URI api = uri("api", o.getOrDefault("api", "http://localhost:8080"));
    String mqtt = o.getOrDefault("mqtt", "localhost:1883");
    int colon = mqtt.lastIndexOf(':');
    String mqttHost = colon < 0 ? mqtt : mqtt.substring(0, colon);
    int mqttPort = colon < 0 ? 1883 : intIn("mqtt", mqtt.substring(colon + 1), 1, 65535);
    if (mqttHost.isBlank()) throw new UsageException("--mqtt needs host:port, got '" + mqtt + "'");
    String token = o.get("token");
    if (token != null && token.isBlank()) throw new UsageException("--token is empty");
    Path dataDir = Path.of(o.getOrDefault("data-dir", "data"));
    int devices = intIn("devices", o.getOrDefault("devices", "10"), 1, 100_000);
    String prefix = o.getOrDefault("prefix", "sim");
    if (!prefix.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,15}")) {
      throw new UsageException("--prefix must be 1-16 letters, digits, '_', '.', '-', got '" + prefix + "'");
    }
    List<String> kinds = list("kinds", o.getOrDefault("kinds", "drone,rover,sensor"));
    Map<String, List<String>> caps = capabilities(o.get("capabilities"));
    int capacity = intIn("capacity", o.getOrDefault("capacity", "1"), 1, 1000);
    long durationMs = longIn("duration-ms", o.getOrDefault("duration-ms", "2000"), 0, 86_400_000L);
    int steps = intIn("progress-steps", o.getOrDefault("progress-steps", "3"), 0, 100);
    double failRate = rate("fail-rate", o.getOrDefault("fail-rate", "0.0"));
    double rejectRate = rate("reject-rate", o.getOrDefault("reject-rate", "0.0"));
    double drain = doubleIn("battery-drain", o.getOrDefault("battery-drain", "0.5"), 0, 100);
    double recharge = doubleIn("recharge-rate", o.getOrDefault("recharge-rate", "2"), 0, 100);
    long telemetryMs = longIn("telemetry-ms", o.getOrDefault("telemetry-ms", "1000"), 0, 3_600_000L);
    Area area = area(o.getOrDefault("area", "48.1374,11.5755,5"));
    long runSec = longIn("run-sec", o.getOrDefault("run-sec", "0"), 0, 31_536_000L);
    double submitRate = doubleIn("submit-rate", o.getOrDefault("submit-rate", "0"), 0, 100_000);
    String missionType = o.getOrDefault("mission-type", "survey");
    if (missionType.isBlank()) throw new UsageException("--mission-type is empty");
    boolean clean = bool("clean-session", o.getOrDefault("clean-session", "false"));
    int regConc = intIn("register-concurrency", o.getOrDefault("register-concurrency", "16"), 1, 256);
    Long seed = o.containsKey("seed") ? longIn("seed", o.get("seed"), Long.MIN_VALUE, Long.MAX_VALUE) : null;
    return new SimOptions(api, mqttHost, mqttPort, token, dataDir, devices, prefix, kinds, caps,
        capacity, durationMs, steps, failRate, rejectRate, drain, recharge, telemetryMs, area, runSec,
        submitRate, missionType, clean, regConc, seed);
  }

  private static URI uri(String name, String value) {
    try {
      URI uri = URI.create(value);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new UsageException("--" + name + " must be an http(s) URL, got '" + value + "'");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      if (e instanceof UsageException) throw e;
      throw new UsageException("--" + name + " is not a URL: '" + value + "'");
    }
  }

  private static List<String> list(String name, String value) {
    List<String> out = new ArrayList<>();
    for (String s : value.split(",")) {
      if (!s.isBlank()) out.add(s.trim());
    }
    if (out.isEmpty()) throw new UsageException("--" + name + " is empty");
    return out;
  }

  /** {@code drone=camera+gps;sensor=temperature}: overrides the defaults of the kinds named. */
  private static Map<String, List<String>> capabilities(String value) {
    Map<String, List<String>> out = new LinkedHashMap<>(DEFAULT_CAPABILITIES);
    if (value == null) return out;
    for (String entry : value.split(";")) {
      if (entry.isBlank()) continue;
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new UsageException("--capabilities takes kind=cap+cap;kind=cap, got '" + entry + "'");
      }
      String kind = entry.substring(0, eq).trim();
      List<String> caps = new ArrayList<>();
      for (String c : entry.substring(eq + 1).split("[+,]")) {
        if (!c.isBlank()) caps.add(c.trim());
      }
      out.put(kind, caps);
    }
    return out;
  }

  private static Area area(String value) {
    String[] parts = value.split(",");
    if (parts.length != 3) throw new UsageException("--area takes lat,lon,radiusKm, got '" + value + "'");
    double lat = doubleIn("area", parts[0].trim(), -90, 90);
    double lon = doubleIn("area", parts[1].trim(), -180, 180);
    double radius = doubleIn("area", parts[2].trim(), 0, 20_000);
    return new Area(lat, lon, radius);
  }

  private static boolean bool(String name, String value) {
    if ("true".equalsIgnoreCase(value)) return true;
    if ("false".equalsIgnoreCase(value)) return false;
    throw new UsageException("--" + name + " takes true or false, got '" + value + "'");
  }

  private static double rate(String name, String value) {
    return doubleIn(name, value, 0, 1);
  }

  private static int intIn(String name, String value, int min, int max) {
    return (int) longIn(name, value, min, max);
  }

  private static long longIn(String name, String value, long min, long max) {
    long v;
    try {
      v = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " takes a whole number, got '" + value + "'");
    }
    if (v < min || v > max) throw new UsageException("--" + name + " must be in " + min + ".." + max + ", got " + v);
    return v;
  }

  private static double doubleIn(String name, String value, double min, double max) {
    double v;
    try {
      v = Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " takes a number, got '" + value + "'");
    }
    if (Double.isNaN(v) || v < min || v > max) {
      throw new UsageException("--" + name + " must be in " + min + ".." + max + ", got " + value);
    }
    return v;
  }

  /** The usage text printed for {@code --help} and after a bad option. */
  public static String usage() {
    return String.join("\n", Arrays.asList(
        "Usage: java -jar cluster-center.jar simulate [options]",
        "",
        "Simulates a fleet of devices speaking the device protocol v1 against a running center.",
        "",
        "  --api URL              REST API of the center (default http://localhost:8080)",
        "  --mqtt HOST:PORT       MQTT server of the center (default localhost:1883)",
        "  --token TOKEN          admin token (default: env CENTER_AUTH_ADMIN_TOKEN, else <data-dir>/admin-token)",
        "  --data-dir DIR         node data directory holding admin-token (default data)",
        "  --devices N            devices to simulate (default 10)",
        "  --prefix P             device ids P-0001, P-0002, ... (default sim); existing ones are re-registered",
        "  --kinds K,K            device kinds, taken round robin (default drone,rover,sensor)",
        "  --capabilities SPEC    per kind, e.g. 'drone=camera+gps+flight;sensor=temperature'",
        "                         (defaults: drone camera,gps,flight; rover camera,gps,drive;",
        "                          sensor temperature,humidity)",
        "  --capacity N           concurrent missions per device (default 1)",
        "  --duration-ms MS       mean mission run time; 0 = finish at once (default 2000)",
        "  --progress-steps N     RUNNING progress reports per mission (default 3)",
        "  --fail-rate P          share of missions that end FAILED, half of them retryable (default 0.0)",
        "  --reject-rate P        share of assignments REJECTED (default 0.0)",
        "  --battery-drain PCT    battery percent one mission costs (default 0.5)",
        "  --recharge-rate PCT    battery percent per second regained while charging (default 2)",
        "  --telemetry-ms MS      telemetry period; 0 = none (default 1000)",
        "  --area LAT,LON,KM      area of the random start positions (default 48.1374,11.5755,5)",
        "  --run-sec S            stop after S seconds; 0 = until Ctrl-C / SIGTERM (default 0)",
        "  --submit-rate R        also submit R missions per second over REST (default 0)",
        "  --mission-type T       type of the submitted missions (default survey)",
        "  --clean-session        connect with a clean MQTT session (default: persistent session)",
        "  --register-concurrency N  parallel registration requests (default 16)",
        "  --seed N               seed of the simulation's randomness (default: random)",
        "  --help                 this text",
        "",
        "Devices are registered over REST (POST /api/v1/devices) and left registered on exit."));
  }
}
