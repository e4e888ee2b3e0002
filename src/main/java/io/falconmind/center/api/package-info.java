/**
 * The operator-facing HTTP side of a node: REST API under {@code /api/v1}, the event feed
 * (WebSocket {@code /api/v1/feed}, SSE {@code /api/v1/feed/sse}), health, Prometheus metrics and
 * the OpenAPI document {@code /openapi.yaml}, which is the contract every request is validated
 * against.
 *
 * <p>Deployment: one {@link io.falconmind.center.api.HttpVerticle} per node, constructed with the
 * node id, the {@code CenterConfig}, the resolved admin token and the node's
 * {@code PrometheusMeterRegistry}. It talks to the rest of the node only through
 * {@code ControlClient}, {@code StoreClient} and the device part's soft-signal addresses.
 *
 * <p>Errors: handlers fail with {@link io.falconmind.center.api.ApiException} (or let
 * {@code ControlException} / store failures through); {@link io.falconmind.center.api.ProblemMapper}
 * is the one place that turns any failure into an RFC 9457 problem document.
 *
 * <p>Feed: {@link io.falconmind.center.api.FeedHub} follows the persisted event stream and keeps an
 * {@link io.falconmind.center.api.EventRing}; each connection is a {@code FeedSession} that resumes
 * from {@code since} (ring, else the store) without gaps or duplicates and is bounded against slow
 * clients.
 */
package io.falconmind.center.api;
