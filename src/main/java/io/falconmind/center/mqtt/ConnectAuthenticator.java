package io.falconmind.center.mqtt;

import io.falconmind.center.control.ControlClient;
import io.falconmind.center.control.ControlException;
import io.falconmind.center.control.Device;
import io.falconmind.center.device.DeviceTokens;
import io.falconmind.center.mqtt.ReasonCodes.ConnectRefusal;
import io.vertx.core.Future;
import io.vertx.mqtt.MqttAuth;
import io.vertx.mqtt.MqttEndpoint;

/**
 * Checks the credentials of a CONNECT against device protocol v1: client id = username = device
 * id, password = device token, matched against the device's stored token hash. Completes with the
 * device, or fails with {@link Refused}. Runs on the caller's context; the hash check is cheap.
 */
final class ConnectAuthenticator {

  /** The CONNECT is refused for {@link #refusal()}. */
  static final class Refused extends RuntimeException {
    private final ConnectRefusal refusal;

    Refused(ConnectRefusal refusal, String detail) {
      super(detail, null, false, false);
      this.refusal = refusal;
    }

    ConnectRefusal refusal() {
      return refusal;
    }
  }

  private final ControlClient control;

  ConnectAuthenticator(ControlClient control) {
    this.control = control;
  }

  Future<Device> authenticate(MqttEndpoint endpoint) {
    MqttAuth auth = endpoint.auth();
    if (auth == null || auth.getUsername() == null) {
      // no identity at all: not a wrong name or password but a client that may not connect as it is
      return refuse(ConnectRefusal.NOT_AUTHORIZED, "anonymous clients are not allowed");
    }
    if (auth.getPassword() == null) return refuse(ConnectRefusal.MISSING_CREDENTIALS, "a password is required");
    String deviceId = auth.getUsername();
    if (!deviceId.equals(endpoint.clientIdentifier())) {
      return refuse(ConnectRefusal.CLIENT_ID_MISMATCH, "client id must equal the username (the device id)");
    }
    return control.device(deviceId)
        .recover(failure -> {
          if (failure instanceof ControlException ce && ce.status() == 404) return Future.succeededFuture(null);
          return refuse(ConnectRefusal.SERVER_UNAVAILABLE, "device registry unavailable: " + failure.getMessage());
        })
        .compose(device -> {
          if (device == null) return refuse(ConnectRefusal.UNKNOWN_DEVICE, "no device " + deviceId);
          if (!DeviceTokens.matches(auth.getPassword(), device.tokenHash())) {
            return refuse(ConnectRefusal.BAD_TOKEN, "wrong token for device " + deviceId);
          }
          return Future.succeededFuture(device);
        });
  }

  private static <T> Future<T> refuse(ConnectRefusal refusal, String detail) {
    return Future.failedFuture(new Refused(refusal, detail));
  }
}
