package io.falconmind.center.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminTokenTest {

  @TempDir
  Path dataDir;

  @Test
  void explicitTokenWinsOverEnvironmentAndFile() throws Exception {
    Files.writeString(dataDir.resolve("admin-token"), "from-file\n");

    assertThat(AdminToken.resolve("given", Map.of(AdminToken.ENV, "from-env"), dataDir)).isEqualTo("given");
    assertThat(AdminToken.resolve(null, Map.of(AdminToken.ENV, "from-env"), dataDir)).isEqualTo("from-env");
    assertThat(AdminToken.resolve(null, Map.of(), dataDir)).isEqualTo("from-file");
  }

  @Test
  void saysWhereItLookedWhenThereIsNone() {
    assertThatThrownBy(() -> AdminToken.resolve(null, Map.of(), dataDir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--token").hasMessageContaining(AdminToken.ENV)
        .hasMessageContaining(dataDir.resolve("admin-token").toString());
  }

  @Test
  void apiRootIsFoundWithOrWithoutTheVersionPath() {
    assertThat(CenterApi.basePath(java.net.URI.create("http://h:8080"))).isEqualTo("/api/v1");
    assertThat(CenterApi.basePath(java.net.URI.create("http://h:8080/"))).isEqualTo("/api/v1");
    assertThat(CenterApi.basePath(java.net.URI.create("http://h:8080/api/v1/"))).isEqualTo("/api/v1");
    assertThat(CenterApi.basePath(java.net.URI.create("http://h/center"))).isEqualTo("/center/api/v1");
  }
}
