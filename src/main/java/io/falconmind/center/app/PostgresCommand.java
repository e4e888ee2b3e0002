package io.falconmind.center.app;

import io.falconmind.center.store.EmbeddedServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;

/**
 * {@code postgres [--data-dir DIR] [--port 5432] [--host 127.0.0.1]}: runs only the embedded
 * PostgreSQL (the same server and durable tuning a node starts for itself) so that several nodes on
 * one machine share one database, prints the {@code postgres.url} to give them, and runs until
 * SIGTERM or Ctrl-C, then stops the server cleanly. Blocks the calling thread throughout.
 */
final class PostgresCommand {

  private static final Logger log = LoggerFactory.getLogger(PostgresCommand.class);
  static final String USAGE = "usage: postgres [--data-dir DIR] [--port PORT] [--host ADDRESS]\n"
      + "  --data-dir  PostgreSQL data directory, created on first use (default data/shared-postgres)\n"
      + "  --port      port to listen on (default 5432)\n"
      + "  --host      address to listen on besides loopback (default 127.0.0.1); the superuser\n"
      + "              'postgres' is trusted without a password on loopback connections only,\n"
      + "              others need an entry in DIR/pg_hba.conf";

  record Options(Path dataDir, String host, int port) {
  }

  private PostgresCommand() {
  }

  /** Returns the process exit code: 0 after a clean stop, 1 when the server cannot start, 2 on bad usage. */
  static int run(String[] args) {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage() + "\n" + USAGE);
      return 2;
    }
    if (options == null) {
      System.out.println(USAGE);
      return 0;
    }
    Path dataDir = options.dataDir().toAbsolutePath();
    FileChannel lock = lockBeside(dataDir);
    if (lock == null) return 1;
    if (!portFree(options.host(), options.port())) {
      System.err.println("PostgreSQL could not start: port " + options.port() + " on " + options.host()
          + " is taken (choose another with --port)");
      return 1;
    }
    EmbeddedServer server;
    try {
      server = EmbeddedServer.serve(dataDir, options.host(), options.port());
    } catch (IOException | RuntimeException e) {
      log.error("PostgreSQL could not start over {}: {}", dataDir, e.toString(), e);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.stop();
      } catch (IOException e) {
        log.warn("PostgreSQL did not stop cleanly: {}", e.toString());
      } finally {
        stopped.countDown();
      }
    }, "postgres-shutdown"));
    System.out.println(banner(options, dataDir, server.port()));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(lock);
    }
    return 0;
  }

  /**
   * The URL a node on this machine is given as {@code postgres.url}: over loopback, the only
   * connections the server trusts without a password; the user is in it.
   */
  static String url(String host, int port) {
    String shown = host.equals("localhost") || host.equals("::1") ? host : "127.0.0.1";
    if (shown.contains(":")) shown = "[" + shown + "]";
    return "postgresql://" + EmbeddedServer.USER + "@" + shown + ":" + port + "/" + EmbeddedServer.DATABASE;
  }

  /** Null for {@code --help}. */
  static Options parse(String[] args) {
    Path dataDir = Path.of("data", "shared-postgres");
    String host = "127.0.0.1";
    int port = 5432;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) return null;
      if (!arg.equals("--data-dir") && !arg.equals("--port") && !arg.equals("--host")) {
        throw new IllegalArgumentException("unknown argument '" + arg + "'");
      }
      if (i + 1 >= args.length || args[i + 1].isBlank()) throw new IllegalArgumentException(arg + " needs a value");
      String value = args[++i].trim();
      switch (arg) {
        case "--data-dir" -> dataDir = Path.of(value);
        case "--host" -> host = value;
        default -> {
          try {
            port = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            port = -1;
          }
          if (port < 1 || port > 65535) throw new IllegalArgumentException("--port: must be from 1 to 65535, got '" + value + "'");
        }
      }
    }
    return new Options(dataDir, host, port);
  }

  private static String banner(Options options, Path dataDir, int port) {
    String url = url(options.host(), port);
    return "\nPostgreSQL is ready for nodes to share (data in " + dataDir + ")\n"
        + "  postgres.url  " + url + "   (user postgres, no password)\n"
        + "  a node:       java -jar target/cluster-center.jar --set postgres.url=" + url + "\n"
        + "  Ctrl-C or SIGTERM stops it.\n";
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // the lock goes with the process anyway
    }
  }

  private static boolean portFree(String host, int port) {
    String bind = host.equals("*") ? "0.0.0.0" : host;
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(bind, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Holds {@code DIR.lock} next to the data directory for the life of the process (PostgreSQL wants
   * its directory to itself): a second {@code postgres} command over the same directory must not
   * stop the running server as if it were left over by a crash. Null (and a message) when held.
   */
  private static FileChannel lockBeside(Path dataDir) {
    Path file = dataDir.resolveSibling(dataDir.getFileName() + ".lock");
    try {
      Files.createDirectories(dataDir.getParent());
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        System.err.println("PostgreSQL could not start: another postgres command runs over " + dataDir);
        return null;
      }
      return channel;
    } catch (IOException e) {
      System.err.println("PostgreSQL could not start: cannot lock " + file + ": " + e.getMessage());
      return null;
    }
  }
}
