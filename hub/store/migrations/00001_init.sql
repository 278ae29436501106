-- +goose Up
-- Connector cursors: the position each connector instance has reached in each
-- stream, stored only after the records before it are durably on the bus.
CREATE TABLE connector_cursors (
    connector  TEXT NOT NULL,
    stream     TEXT NOT NULL,
    cursor     TEXT, -- base64 of the opaque cursor bytes
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connector, stream)
);

-- +goose Down
DROP TABLE connector_cursors;
