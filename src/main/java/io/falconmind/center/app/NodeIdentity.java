package io.falconmind.center.app;

import io.falconmind.center.device.DeviceTokens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * The node id and the operator token, from configuration or kept in the data directory: generated
 * once, then read back on every start. Blocking file I/O; called before Vert.x starts.
 *
 * @param tokenGenerated true only on the start that generated the admin token
 */
public record NodeIdentity(String nodeId, String adminToken, boolean tokenGenerated, Path tokenFile) {

  static NodeIdentity resolve(CenterConfig.Node node, CenterConfig.Auth auth) {
    try {
      Files.createDirectories(node.dataDir());
      String id = node.id().isEmpty()
          ? readOrCreate(node.dataDir().resolve("node-id"), "node-" + UUID.randomUUID().toString().substring(0, 8))
          : node.id();
      Path tokenFile = node.dataDir().resolve("admin-token");
      if (!auth.adminToken().isEmpty()) return new NodeIdentity(id, auth.adminToken(), false, null);
      if (Files.exists(tokenFile)) return new NodeIdentity(id, read(tokenFile), false, tokenFile);
      String token = DeviceTokens.newToken();
      write(tokenFile, token);
      return new NodeIdentity(id, token, true, tokenFile);
    } catch (IOException e) {
      throw new ConfigException("node.dataDir: cannot use " + node.dataDir().toAbsolutePath() + ": " + e);
    } catch (UncheckedIOException e) {
      throw new ConfigException("node.dataDir: cannot use " + node.dataDir().toAbsolutePath() + ": " + e.getCause());
    }
  }

  private static String readOrCreate(Path file, String fresh) throws IOException {
    if (Files.exists(file)) return read(file);
    write(file, fresh);
    return fresh;
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8).trim();
  }

  private static void write(Path file, String value) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, value + "\n", StandardCharsets.UTF_8);
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
