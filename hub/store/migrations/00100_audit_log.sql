-- +goose Up
-- The audit log (hub/audit): an append-only, hash-chained record of every change
-- made through the API, every config load and every refused webhook. The hash
-- of each entry covers the previous entry's hash; `crossdock audit verify`
-- recomputes the chain. before_json/after_json are TEXT (not JSONB) because the
-- hash covers their exact bytes.
CREATE TABLE audit_log (
    id          BIGINT PRIMARY KEY, -- 1, 2, 3 ... assigned from audit_chain_head
    at          TEXT   NOT NULL,    -- UTC, RFC 3339 with nanoseconds
    actor       TEXT   NOT NULL,    -- token:NAME, connector:NAME, system
    action      TEXT   NOT NULL,    -- order.cancel, config.load, webhook.refused ...
    subject     TEXT   NOT NULL,    -- order:123, config:hub.yaml ...
    before_json TEXT,               -- scrubbed JSON, NULL when none
    after_json  TEXT,
    remote_addr TEXT   NOT NULL,
    prev_hash   TEXT   NOT NULL,    -- '' for entry 1
    hash        TEXT   NOT NULL     -- hex SHA-256 of the entry's canonical encoding
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- The head of the chain: one row, updated by every append in the appending
-- transaction, so appends serialise on it (a row lock on PostgreSQL, the write
-- lock on SQLite) and a truncated tail is detected by verify.
CREATE TABLE audit_chain_head (
    id        INTEGER PRIMARY KEY,
    last_id   BIGINT  NOT NULL,
    last_hash TEXT    NOT NULL
);
INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, '');

-- +goose Down
DROP TABLE audit_chain_head;
DROP TABLE audit_log;
