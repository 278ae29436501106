-- +goose Up
-- Keys the pipelines' dedupe step has seen, per pipeline step (scope), until
-- they expire (Unix milliseconds). Written in the transaction that consumes a
-- record, so a key is seen exactly when the record's effects are committed.
-- Owned by hub/engine (pipelines helper).
CREATE TABLE pipeline_dedupe (
    scope      TEXT   NOT NULL,
    key        TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX pipeline_dedupe_expires ON pipeline_dedupe (expires_at);

-- +goose Down
DROP TABLE pipeline_dedupe;
