package io.falconmind.center.app;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Flat {@code section.key -> text} settings, layered: the bundled defaults ({@code conf/center.yaml}),
 * then a configuration file, then {@code CENTER_*} environment variables, then explicit overrides.
 * Only keys that exist in the defaults are accepted. A list value (YAML list) is held as
 * comma-separated text, so an environment variable sets it as {@code a,b,c}.
 */
public final class Settings {

  private final Map<String, String> values;

  private Settings(Map<String, String> values) {
    this.values = values;
  }

  /**
   * @param file      configuration file, or null for the defaults only
   * @param env       environment (normally {@code System.getenv()})
   * @param overrides {@code section.key -> value}, applied last (command line, tests)
   */
  public static Settings load(Path file, Map<String, String> env, Map<String, String> overrides) {
    Map<String, String> values = new LinkedHashMap<>();
    try (InputStream in = Settings.class.getResourceAsStream("/conf/center.yaml")) {
      if (in == null) throw new ConfigException("bundled conf/center.yaml is missing from the build");
      flatten("", new Yaml(new SafeConstructor(new LoaderOptions())).load(in), values, null);
    } catch (IOException e) {
      throw new ConfigException("cannot read bundled defaults: " + e.getMessage());
    }
    if (file != null) {
      try (Reader r = Files.newBufferedReader(file)) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        if (doc != null) flatten("", doc, values, file.toString());
      } catch (IOException e) {
        throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
      } catch (RuntimeException e) {
        if (e instanceof ConfigException ce) throw ce;
        throw new ConfigException("configuration file " + file + " is not valid YAML: " + e.getMessage());
      }
    }
    Map<String, String> byEnvName = new LinkedHashMap<>();
    for (String key : values.keySet()) byEnvName.put(envName(key), key);
    env.forEach((name, value) -> {
      String key = byEnvName.get(name);
      if (key != null) values.put(key, value);
    });
    overrides.forEach((key, value) -> {
      if (!values.containsKey(key)) throw new ConfigException(key + ": unknown setting");
      values.put(key, value);
    });
    return new Settings(values);
  }

  /** {@code auth.adminToken -> CENTER_AUTH_ADMIN_TOKEN}. */
  public static String envName(String key) {
    String snake = key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_');
    return "CENTER_" + snake.toUpperCase(Locale.ROOT);
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String prefix, Object node, Map<String, String> out, String source) {
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : ((Map<Object, Object>) map).entrySet()) {
        String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
        flatten(key, e.getValue(), out, source);
      }
      return;
    }
    if (source != null && !out.containsKey(prefix)) {
      throw new ConfigException(prefix + ": unknown setting in " + source);
    }
    out.put(prefix, node == null ? "" : node instanceof List<?> list ? joined(list) : String.valueOf(node));
  }

  /** A YAML list is kept as the comma-separated text an environment variable would give. */
  private static String joined(List<?> list) {
    StringJoiner j = new StringJoiner(",");
    for (Object item : list) j.add(item == null ? "" : String.valueOf(item).trim());
    return j.toString();
  }

  public String string(String key) {
    String v = values.get(key);
    if (v == null) throw new ConfigException(key + ": unknown setting");
    return v.trim();
  }

  public int integer(String key, int min, int max) {
    String v = string(key);
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + ": must be an integer from " + min + " to " + max + ", got '" + v + "'");
    }
  }

  public long longValue(String key, long min, long max) {
    String v = string(key);
    try {
      long n = Long.parseLong(v);
      if (n < min || n > max) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + ": must be an integer from " + min + " to " + max + ", got '" + v + "'");
    }
  }

  /** A list setting: a YAML list, or comma-separated text; blank items are dropped. */
  public List<String> list(String key) {
    List<String> items = new ArrayList<>();
    for (String item : string(key).split(",")) {
      if (!item.isBlank()) items.add(item.trim());
    }
    return List.copyOf(items);
  }

  public boolean bool(String key) {
    String v = string(key).toLowerCase(Locale.ROOT);
    if (v.equals("true")) return true;
    if (v.equals("false")) return false;
    throw new ConfigException(key + ": must be true or false, got '" + v + "'");
  }

  public String oneOf(String key, String... allowed) {
    String v = string(key);
    for (String a : allowed) if (a.equals(v)) return v;
    throw new ConfigException(key + ": must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
  }
}
