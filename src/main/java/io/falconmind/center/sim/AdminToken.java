package io.falconmind.center.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the operator's bearer token the way an operator would: given explicitly, else
 * {@code CENTER_AUTH_ADMIN_TOKEN}, else the file a node keeps in its data directory. Blocking file
 * access: call it before the event loops start.
 */
public final class AdminToken {
  public static final String ENV = "CENTER_AUTH_ADMIN_TOKEN";

  private AdminToken() {
  }

  /**
   * @throws IllegalStateException when none of the three sources holds a token; the message says
   *                               where it looked
   */
  public static String resolve(String explicit, Map<String, String> env, Path dataDir) {
    if (explicit != null && !explicit.isBlank()) return explicit.trim();
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) return fromEnv.trim();
    Path file = dataDir.resolve("admin-token");
    try {
      String fromFile = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (!fromFile.isEmpty()) return fromFile;
    } catch (IOException e) {
      // falls through to the message below
    }
    throw new IllegalStateException("no admin token: pass --token, set " + ENV + " or point --data-dir"
        + " at the node's data directory (looked for " + file.toAbsolutePath() + ")");
  }
}
