-- +goose Up
-- The egress outbox: commands for connectors, taken off the bus in the
-- consuming transaction and delivered outside any transaction, so a slow
-- platform never holds the database's write lock.
CREATE TABLE egress_outbox (
    seq             BIGINT NOT NULL,
    id              TEXT NOT NULL PRIMARY KEY,
    instance        TEXT NOT NULL,
    action          TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload         TEXT NOT NULL,
    metadata        TEXT NOT NULL,
    status          TEXT NOT NULL, -- pending, done, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    external_id     TEXT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    done_at         BIGINT
);
CREATE UNIQUE INDEX egress_outbox_key ON egress_outbox (instance, idempotency_key);
CREATE INDEX egress_outbox_due ON egress_outbox (instance, status, next_attempt_at, seq);

-- +goose Down
DROP TABLE egress_outbox;
