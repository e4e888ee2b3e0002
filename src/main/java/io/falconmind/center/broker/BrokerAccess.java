package io.falconmind.center.broker;

import io.falconmind.center.mqtt.TopicFilter;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Who may connect to the broker and what each client may publish and subscribe.
 *
 * <p>Users are {@code name:hash} entries, the hash made by {@link #hashPassword} (PBKDF2-SHA256,
 * salted; {@code java -jar cluster-center.jar hash-password} prints one). ACL rules are
 * {@code WHO ACCESS PATTERN}: WHO is {@code user:NAME}, {@code all} (every broker client) or
 * {@code anonymous}; ACCESS is {@code read}, {@code write}, {@code readwrite} or {@code deny};
 * PATTERN is a topic filter in which {@code %c} stands for the client id and {@code %u} for the
 * username. Rules are read in order: the first matching {@code deny} refuses, the first matching
 * rule that grants the access allows; nothing matching refuses. Without rules, every client may
 * subscribe to anything and publish anywhere except under {@code devices/} (the device protocol's
 * own topics) and {@code $SYS/}. Immutable and thread-safe.
 */
public final class BrokerAccess {

  /** What a client wants to do with a topic. */
  public enum Access {
    READ, WRITE
  }

  record Rule(String who, boolean read, boolean write, boolean deny, String pattern) {
    /** Whether the pattern names the client id or username, to be put in for each client. */
    boolean substitutes() {
      return pattern.indexOf('%') >= 0;
    }
  }

  private static final String SCHEME = "pbkdf2-sha256";
  private static final int ITERATIONS = 100_000;
  private static final List<String> DEFAULT_RULES =
      List.of("all read #", "all read $SYS/#", "all deny devices/#", "all readwrite #");

  private final boolean allowAnonymous;
  private final Map<String, String> users;
  private final List<Rule> rules;

  /**
   * @param allowAnonymous whether a client without username may connect
   * @param users          {@code name:hash} entries
   * @param acl            rules as described above; empty for the defaults
   * @throws IllegalArgumentException naming the first malformed entry
   */
  public BrokerAccess(boolean allowAnonymous, List<String> users, List<String> acl) {
    this.allowAnonymous = allowAnonymous;
    Map<String, String> byName = new HashMap<>();
    for (String entry : users) {
      int colon = entry.indexOf(':');
      if (colon <= 0 || !entry.substring(colon + 1).startsWith(SCHEME + "$")) {
        throw new IllegalArgumentException("mqtt.users: each entry must be NAME:HASH with a hash from "
            + "'hash-password', got '" + entry + "'");
      }
      byName.put(entry.substring(0, colon), entry.substring(colon + 1));
    }
    this.users = Map.copyOf(byName);
    List<Rule> parsed = new ArrayList<>();
    for (String rule : acl.isEmpty() ? DEFAULT_RULES : acl) parsed.add(parse(rule));
    this.rules = List.copyOf(parsed);
  }

  public boolean allowAnonymous() {
    return allowAnonymous;
  }

  /** Whether {@code username} is a broker user (not a device). */
  public boolean isUser(String username) {
    return users.containsKey(username);
  }

  /** Checks a password; slow on purpose (PBKDF2): call it off the event loop. */
  public boolean passwordMatches(String username, byte[] password) {
    String stored = users.get(username);
    if (stored == null) return false;
    String[] parts = stored.split("\\$");
    if (parts.length != 4) return false;
    byte[] salt = Base64.getDecoder().decode(parts[2]);
    byte[] expected = Base64.getDecoder().decode(parts[3]);
    byte[] actual = pbkdf2(new String(password, StandardCharsets.UTF_8), salt, Integer.parseInt(parts[1]), expected.length);
    return MessageDigest.isEqual(expected, actual);
  }

  /** A stored form of {@code password} for {@code mqtt.users}. */
  public static String hashPassword(String password) {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    byte[] hash = pbkdf2(password, salt, ITERATIONS, 32);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return SCHEME + "$" + ITERATIONS + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }

  /**
   * Whether a client may write to a topic name ({@link Access#WRITE}) or subscribe to a filter
   * ({@link Access#READ}: every topic the filter can match must be readable by one rule).
   *
   * @param username null for an anonymous client
   */
  public boolean allows(String clientId, String username, Access access, String topicOrFilter) {
    for (Rule r : rules) {
      if (!applies(r, username)) continue;
      if (!r.deny() && !(access == Access.READ ? r.read() : r.write())) continue;
      String pattern = r.substitutes()
          ? r.pattern().replace("%c", clientId).replace("%u", username == null ? "" : username)
          : r.pattern();
      if (r.deny()) {
        if (access == Access.WRITE ? TopicFilter.matches(pattern, topicOrFilter) : overlaps(pattern, topicOrFilter)) {
          return false;
        }
        continue;
      }
      if (access == Access.WRITE ? TopicFilter.matches(pattern, topicOrFilter) : covers(pattern, topicOrFilter)) {
        return true;
      }
    }
    return false;
  }

  private static boolean applies(Rule r, String username) {
    return switch (r.who()) {
      case "all" -> true;
      case "anonymous" -> username == null;
      // "user:NAME", compared without building the string for every publication
      default -> username != null && r.who().length() == 5 + username.length() && r.who().startsWith(username, 5);
    };
  }

  /** Every topic {@code filter} matches is matched by {@code pattern}. */
  static boolean covers(String pattern, String filter) {
    if (filter.startsWith("$") && isWildcardStart(pattern)) return false;
    String[] p = pattern.split("/", -1);
    String[] f = filter.split("/", -1);
    for (int i = 0; i < p.length; i++) {
      if (p[i].equals("#")) return true;
      if (i >= f.length || f[i].equals("#")) return false;
      if (!p[i].equals("+") && !p[i].equals(f[i])) return false;
    }
    return p.length == f.length;
  }

  /** Some topic matches both {@code pattern} and {@code filter}. */
  static boolean overlaps(String pattern, String filter) {
    String[] p = pattern.split("/", -1);
    String[] f = filter.split("/", -1);
    boolean dollarP = pattern.startsWith("$");
    boolean dollarF = filter.startsWith("$");
    if (dollarP && isWildcardStart(filter) || dollarF && isWildcardStart(pattern)) return false;
    for (int i = 0; ; i++) {
      boolean pEnd = i >= p.length;
      boolean fEnd = i >= f.length;
      if (!pEnd && p[i].equals("#") || !fEnd && f[i].equals("#")) return true;
      if (pEnd || fEnd) return pEnd && fEnd;
      if (p[i].equals("+") || f[i].equals("+")) continue;
      if (!p[i].equals(f[i])) return false;
    }
  }

  private static boolean isWildcardStart(String filter) {
    return filter.startsWith("+") || filter.startsWith("#");
  }

  private static Rule parse(String text) {
    String[] parts = text.trim().split("\\s+");
    if (parts.length != 3) throw bad(text);
    String who = parts[0];
    if (!who.equals("all") && !who.equals("anonymous") && !(who.startsWith("user:") && who.length() > 5)) throw bad(text);
    String access = parts[1].toLowerCase(Locale.ROOT);
    if (!List.of("read", "write", "readwrite", "deny").contains(access)) throw bad(text);
    if (!TopicFilter.isValidFilter(parts[2].replace("%c", "c").replace("%u", "u"))) throw bad(text);
    return new Rule(who, access.contains("read"), access.contains("write"), access.equals("deny"), parts[2]);
  }

  private static IllegalArgumentException bad(String rule) {
    return new IllegalArgumentException("mqtt.acl: each rule must be 'WHO ACCESS PATTERN' (WHO: user:NAME, all or "
        + "anonymous; ACCESS: read, write, readwrite or deny; PATTERN: a topic filter), got '" + rule + "'");
  }

  private static byte[] pbkdf2(String password, byte[] salt, int iterations, int bytes) {
    try {
      PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, bytes * 8);
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
    }
  }
}
