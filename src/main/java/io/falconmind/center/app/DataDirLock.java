package io.falconmind.center.app;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive use of a data directory by one running node. The operating system releases the lock
 * when the process ends however it ends ({@code kill -9} included), so a lock that cannot be taken
 * means another node is alive on the directory — and its embedded PostgreSQL must not be touched.
 * Blocking file I/O: call before Vert.x starts.
 */
final class DataDirLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static DataDirLock acquire(Path dataDir) {
    Path file = dataDir.resolve("node.lock");
    FileChannel channel = null;
    try {
      Files.createDirectories(dataDir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) throw inUse(dataDir);
      return new DataDirLock(channel, lock);
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw inUse(dataDir);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ConfigException("node.dataDir: cannot lock " + file.toAbsolutePath() + ": " + e.getMessage());
    } catch (ConfigException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static ConfigException inUse(Path dataDir) {
    return new ConfigException("node.dataDir: " + dataDir.toAbsolutePath()
        + " is in use by another running node; give each node its own data directory");
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) return;
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing more to release
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // released with the channel below
    }
    closeQuietly(channel);
  }
}
