package io.falconmind.center.api;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Reads request bodies, except of WebSocket upgrade requests: reading one (even an empty body, which
 * clients that send {@code Content-Length: 0} announce) ends the request, and it could no longer be
 * upgraded. An upgrade carries no body the API uses.
 */
final class UpgradeAwareBody implements BodyHandler {

  private final BodyHandler body;

  UpgradeAwareBody(BodyHandler body) {
    this.body = body;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (UpgradeHold.isUpgrade(ctx)) ctx.next();
    else body.handle(ctx);
  }

  @Override
  public BodyHandler setHandleFileUploads(boolean handle) {
    body.setHandleFileUploads(handle);
    return this;
  }

  @Override
  public BodyHandler setBodyLimit(long limit) {
    body.setBodyLimit(limit);
    return this;
  }

  @Override
  public BodyHandler setUploadsDirectory(String directory) {
    body.setUploadsDirectory(directory);
    return this;
  }

  @Override
  public BodyHandler setMergeFormAttributes(boolean merge) {
    body.setMergeFormAttributes(merge);
    return this;
  }

  @Override
  public BodyHandler setDeleteUploadedFilesOnEnd(boolean delete) {
    body.setDeleteUploadedFilesOnEnd(delete);
    return this;
  }

  @Override
  public BodyHandler setPreallocateBodyBuffer(boolean preallocate) {
    body.setPreallocateBodyBuffer(preallocate);
    return this;
  }
}
