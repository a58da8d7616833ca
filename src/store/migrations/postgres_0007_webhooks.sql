-- Outbound webhooks (issue 13): subscriptions, the durable delivery queue, every attempt, and
-- the networks an operator opened to deliveries. Keep in step with the other backend's
-- 0007_webhooks.sql.

-- kinds: JSON list of the event kinds it wants (`*` for all). secret: the Standard Webhooks
-- signing secret (`whsec_…`), sealed with the server's secret key. state: active | failing
-- (a delivery ran out of retries; cleared by the next success) | paused.
CREATE TABLE webhook_subscriptions (
    id           TEXT COLLATE "C" PRIMARY KEY,
    url          TEXT COLLATE "C" NOT NULL,
    kinds        TEXT COLLATE "C" NOT NULL,
    secret       TEXT COLLATE "C" NOT NULL,
    description  TEXT COLLATE "C" NOT NULL,
    state        TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- One event for one subscription. Written in the transaction of the case work it tells about,
-- so an event is queued exactly when its work commits. state: pending | delivered | failed.
-- attempts counts this round's tries (it drives the backoff; a redelivery starts a new round).
-- claimed_by/claimed_until: the node trying it now; another node takes it only after the lease.
CREATE TABLE webhook_deliveries (
    id               TEXT COLLATE "C" PRIMARY KEY,
    subscription_id  TEXT COLLATE "C" NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    event_id         TEXT COLLATE "C" NOT NULL,
    kind             TEXT COLLATE "C" NOT NULL,
    payload          TEXT COLLATE "C" NOT NULL,
    state            TEXT COLLATE "C" NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    claimed_by       TEXT COLLATE "C",
    claimed_until    BIGINT,
    last_status      BIGINT,
    last_error       TEXT COLLATE "C",
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, created_at);

-- Every try, for the delivery log.
CREATE TABLE webhook_attempts (
    id           TEXT COLLATE "C" PRIMARY KEY,
    delivery_id  TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at           BIGINT NOT NULL,
    node         TEXT COLLATE "C" NOT NULL,
    status       BIGINT,
    error        TEXT COLLATE "C",
    took_ms      BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, at);

-- Networks an operator opened to deliveries (CIDR), beyond the public internet: loopback and
-- private ranges are refused unless listed here.
CREATE TABLE webhook_allowed_networks (
    network     TEXT COLLATE "C" PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

-- Whether a follow-up's `followup.due` was sent: reset when its due time moves. Follow-ups
-- already due before this migration are not announced late.
ALTER TABLE followups ADD COLUMN due_announced BIGINT NOT NULL DEFAULT 0;
UPDATE followups SET due_announced = 1 WHERE status <> 'open' OR due_at <= (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT;
CREATE INDEX followups_due_unannounced ON followups (due_at) WHERE due_announced = 0 AND status = 'open';

-- The customer's language (BCP 47, from the `customerlanguage` extension of their events), for
-- surveys and replies in it.
ALTER TABLE customers ADD COLUMN language TEXT COLLATE "C";
