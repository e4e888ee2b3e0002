package io.falconmind.center.device;

import io.falconmind.center.control.Applied;
import io.falconmind.center.control.Command;
import io.falconmind.center.control.Command.ReportStatuses;
import io.falconmind.center.control.Command.StatusReport;
import io.falconmind.center.control.ControlException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Collects the status reports of all sessions of one MQTT server instance and proposes them as one
 * {@link ReportStatuses} per flush, keeping their order. One batch is in flight at a time: a flush
 * happens at the end of the current event-loop turn when nothing is in flight, otherwise when the
 * in-flight batch completes, with at most {@code maxBatch} reports.
 *
 * <p>{@link #submit} completes once the batch is committed and persisted, with the report's own
 * result: {@code {ok: true}} or {@code {error: {status, code, detail}}} (refused by the state
 * machine). It fails with the {@link ControlException} of the proposal when the control plane stays
 * unavailable after the retries: the report was then not applied, or its outcome is unknown (504),
 * and the device should send it again. Must be used from its context only.
 */
public final class StatusBatcher {

  private record Pending(StatusReport report, Promise<JsonObject> promise) {
  }

  private final Context context;
  private final Function<Command, Future<Applied>> proposer;
  private final ProposalRetry retry;
  private final LongSupplier clock;
  private final int maxBatch;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private boolean inFlight;
  private boolean scheduled;

  /**
   * @param proposer normally {@code ControlClient::propose}
   * @param clock    epoch milliseconds stamped on each batch
   */
  public StatusBatcher(Context context, Function<Command, Future<Applied>> proposer, ProposalRetry retry,
                       LongSupplier clock, int maxBatch) {
    this.context = context;
    this.proposer = proposer;
    this.retry = retry;
    this.clock = clock;
    this.maxBatch = maxBatch;
  }

  public Future<JsonObject> submit(StatusReport report) {
    Promise<JsonObject> promise = Promise.promise();
    queue.add(new Pending(report, promise));
    scheduleFlush();
    return promise.future();
  }

  /** Reports waiting for the next batch. */
  public int waiting() {
    return queue.size();
  }

  private void scheduleFlush() {
    if (inFlight || scheduled || queue.isEmpty()) return;
    scheduled = true;
    context.runOnContext(v -> {
      scheduled = false;
      flush();
    });
  }

  private void flush() {
    if (inFlight || queue.isEmpty()) return;
    List<Pending> batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
    while (!queue.isEmpty() && batch.size() < maxBatch) batch.add(queue.poll());
    List<StatusReport> reports = new ArrayList<>(batch.size());
    for (Pending p : batch) reports.add(p.report());
    ReportStatuses command = new ReportStatuses(List.copyOf(reports), clock.getAsLong());
    inFlight = true;
    retry.run(() -> proposer.apply(command))
        .onSuccess(applied -> complete(batch, applied))
        .onFailure(failure -> {
          for (Pending p : batch) p.promise().tryFail(failure);
        })
        .onComplete(ar -> {
          inFlight = false;
          scheduleFlush();
        });
  }

  private static void complete(List<Pending> batch, Applied applied) {
    JsonObject reply = applied.reply();
    JsonArray results = reply.getJsonArray("results");
    for (int i = 0; i < batch.size(); i++) {
      JsonObject result;
      if (results != null && i < results.size()) result = results.getJsonObject(i);
      else if (reply.containsKey("error")) result = new JsonObject().put("error", reply.getJsonObject("error"));
      else result = new JsonObject().put("ok", true);
      batch.get(i).promise().tryComplete(result);
    }
  }
}
