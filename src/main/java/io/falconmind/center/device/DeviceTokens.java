package io.falconmind.center.device;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Device credentials. A token is 32 random bytes (URL-safe base64); the control state keeps only
 * {@code salt$sha256(salt:token)}. Tokens are high-entropy, so a fast salted digest suffices and
 * keeps connection storms cheap. Thread-safe.
 */
public final class DeviceTokens {

  private static final SecureRandom RANDOM = new SecureRandom();

  private DeviceTokens() {
  }

  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static String hash(String token) {
    byte[] salt = new byte[12];
    RANDOM.nextBytes(salt);
    String s = HexFormat.of().formatHex(salt);
    return s + "$" + digest(s, token);
  }

  /** Constant-time check of a presented token against a stored hash; false for any malformed input. */
  public static boolean matches(String token, String storedHash) {
    if (token == null || storedHash == null) return false;
    int sep = storedHash.indexOf('$');
    if (sep <= 0) return false;
    String expected = storedHash.substring(sep + 1);
    String actual = digest(storedHash.substring(0, sep), token);
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        actual.getBytes(StandardCharsets.US_ASCII));
  }

  private static String digest(String salt, String token) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(salt.getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) ':');
      sha.update(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
