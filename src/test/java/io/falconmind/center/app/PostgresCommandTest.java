package io.falconmind.center.app;

import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostgresCommandTest {

  @Test
  void defaultsToLoopbackPort5432AndItsOwnDataDirectory() {
    assertThat(PostgresCommand.parse(new String[0]))
        .isEqualTo(new PostgresCommand.Options(Path.of("data", "shared-postgres"), "127.0.0.1", 5432));
  }

  @Test
  void readsEveryOption() {
    assertThat(PostgresCommand.parse(new String[] {"--data-dir", "data/local/postgres", "--port", "6543", "--host", "localhost"}))
        .isEqualTo(new PostgresCommand.Options(Path.of("data/local/postgres"), "localhost", 6543));
    assertThat(PostgresCommand.parse(new String[] {"--help"})).isNull();
  }

  @Test
  void refusesBadArguments() {
    assertThatThrownBy(() -> PostgresCommand.parse(new String[] {"--port", "99999"})).hasMessageStartingWith("--port:");
    assertThatThrownBy(() -> PostgresCommand.parse(new String[] {"--port"})).hasMessageContaining("needs a value");
    assertThatThrownBy(() -> PostgresCommand.parse(new String[] {"--dir", "x"})).hasMessageContaining("unknown argument");
  }

  @Test
  void theUrlGivenToNodesConnectsOverLoopbackAsThePostgresUser() {
    assertThat(PostgresCommand.url("127.0.0.1", 5432)).isEqualTo("postgresql://postgres@127.0.0.1:5432/postgres");
    assertThat(PostgresCommand.url("0.0.0.0", 5433)).isEqualTo("postgresql://postgres@127.0.0.1:5433/postgres");
    assertThat(PostgresCommand.url("::1", 5432)).isEqualTo("postgresql://postgres@[::1]:5432/postgres");
    // It is a URL a node accepts, and the PostgreSQL client reads the user from it.
    String url = PostgresCommand.url("127.0.0.1", 5432);
    assertThat(CenterConfig.from(Settings.load(null, Map.of(), Map.of("postgres.url", url))).postgres().embedded()).isFalse();
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    assertThat(options.getUser()).isEqualTo("postgres");
    assertThat(options.getHost()).isEqualTo("127.0.0.1");
    assertThat(options.getPort()).isEqualTo(5432);
    assertThat(options.getDatabase()).isEqualTo("postgres");
  }
}
