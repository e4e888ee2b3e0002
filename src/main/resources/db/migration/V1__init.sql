-- The durable record of the control plane: the latest version of every mission and device,
-- the event log (pruned after a retention time) and the last persisted event sequence.

CREATE TABLE missions (
  id              text PRIMARY KEY,
  type            text        NOT NULL,
  state           text        NOT NULL,
  priority        integer     NOT NULL,
  -- device of the current or last attempt
  device_id       text,
  idempotency_key text,
  -- digest of the submitted request, to answer retries with the same idempotency key
  request_hash    text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  -- set exactly when the mission is in a terminal state
  finished_at     timestamptz,
  -- seq of the event that last wrote the row: replays never overwrite a newer version
  seq             bigint      NOT NULL,
  body            jsonb       NOT NULL
);

-- Keyset pagination, newest first, with and without a filter.
CREATE INDEX missions_created_idx ON missions (created_at DESC, id DESC);
CREATE INDEX missions_state_created_idx ON missions (state, created_at DESC, id DESC);
CREATE INDEX missions_type_created_idx ON missions (type, created_at DESC, id DESC);
CREATE INDEX missions_device_created_idx ON missions (device_id, created_at DESC, id DESC);
-- Bootstrap: open missions come through missions_state_created_idx; recently finished ones and
-- recent idempotency keys through these partial indexes, which a row enters at most once.
CREATE INDEX missions_finished_idx ON missions (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX missions_keys_idx ON missions (created_at) WHERE idempotency_key IS NOT NULL;

CREATE TABLE devices (
  id   text PRIMARY KEY,
  seq  bigint NOT NULL,
  body jsonb  NOT NULL
);

CREATE TABLE events (
  seq        bigint PRIMARY KEY,
  type       text        NOT NULL,
  at         timestamptz NOT NULL,
  mission_id text,
  device_id  text,
  -- the event's JSON (as the feed shows it), raw DEFLATE-compressed: see store.EventBodies
  body       bytea       NOT NULL
);

-- Pruning by age: events are appended in time order, so a BRIN index finds old ones at almost no
-- cost per insert.
CREATE INDEX events_at_idx ON events USING brin (at);

-- One row: everything up to last_seq is persisted.
CREATE TABLE control_meta (
  id         smallint PRIMARY KEY CHECK (id = 1),
  last_seq   bigint      NOT NULL,
  updated_at timestamptz NOT NULL
);

INSERT INTO control_meta (id, last_seq, updated_at) VALUES (1, 0, now());
