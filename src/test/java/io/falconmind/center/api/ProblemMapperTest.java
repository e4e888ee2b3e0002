package io.falconmind.center.api;

import io.falconmind.center.control.ControlException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProblemMapperTest {

  @Test
  void answersANoLeaderRefusalWith503AndRetryAfter() {
    Problem p = ProblemMapper.map(new ControlException(503, "no-leader", "no leader yet"), -1);
    assertThat(p.status()).isEqualTo(503);
    assertThat(p.code()).isEqualTo("no-leader");
    assertThat(p.retryAfterSec()).isPositive();
  }

  @Test
  void keepsTheStatusAndCodeOfAnApiException() {
    Problem p = ProblemMapper.map(ApiException.notFound("mission", "m1"), -1);
    assertThat(p.toJson().getString("type")).isEqualTo("urn:falconmind:problem:mission-not-found");
    assertThat(p.toJson().getString("title")).isEqualTo("Not Found");
    assertThat(p.toJson().getString("detail")).contains("m1");
  }

  @Test
  void unwrapsValidatorFailuresFromTheRouter() {
    Problem malformed = ProblemMapper.map(new HttpException(400, "x",
        new ValidatorException("The request body can't be decoded", ValidatorErrorType.ILLEGAL_VALUE)), 400);
    assertThat(malformed.code()).isEqualTo("malformed-json");
    Problem missing = ProblemMapper.map(new ValidatorException(
        "The related request / response does not contain the required query parameter limit",
        ValidatorErrorType.MISSING_REQUIRED_PARAMETER), 400);
    assertThat(missing.errors().getJsonObject(0).getString("in")).isEqualTo("query");
    assertThat(missing.errors().getJsonObject(0).getString("name")).isEqualTo("limit");
  }

  @Test
  void mapsRouterStatusesAndStoreFailures() {
    assertThat(ProblemMapper.map(null, 413).code()).isEqualTo("body-too-large");
    assertThat(ProblemMapper.map(null, 404).code()).isEqualTo("not-found");
    assertThat(ProblemMapper.map(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 400, "bad cursor"), -1).code())
        .isEqualTo("invalid-cursor");
    assertThat(ProblemMapper.map(new ReplyException(ReplyFailure.NO_HANDLERS, "none"), -1).status()).isEqualTo(503);
  }

  @Test
  void hidesTheDetailsOfABug() {
    Problem p = ProblemMapper.map(new NullPointerException("secret"), -1);
    assertThat(p.status()).isEqualTo(500);
    assertThat(p.detail()).doesNotContain("secret");
  }
}
