-- +goose Up
-- Commerce state: locations, the inventory ledger and its derived levels,
-- reservations, safety stock, published channel figures, customers, orders and
-- their history, allocations and shipments. Portable SQL: the same file runs on
-- SQLite and PostgreSQL. Times are TEXT in a fixed-width UTC format so they sort.
-- Every mutable row carries a version for optimistic concurrency.

CREATE TABLE locations (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    type           TEXT NOT NULL,
    lat            DOUBLE PRECISION,
    lng            DOUBLE PRECISION,
    active         INTEGER NOT NULL DEFAULT 1,
    daily_capacity INTEGER NOT NULL DEFAULT 0,
    groups         TEXT NOT NULL DEFAULT '', -- ",a,b," for cheap matching
    capabilities   TEXT NOT NULL DEFAULT '', -- ",ship,pickup,"
    doc            TEXT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    updated_at     TEXT NOT NULL
);

-- Orders a location has taken on each day, against its daily capacity.
CREATE TABLE location_capacity (
    location_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (location_id, day)
);

-- One row per SKU: its tags (for safety-stock rules), the network-wide
-- reservations not yet routed to a location, and a lock counter every
-- reservation bumps so reservations of one SKU serialise on every engine.
CREATE TABLE inventory_skus (
    sku              TEXT PRIMARY KEY,
    tags             TEXT NOT NULL DEFAULT '[]',
    network_reserved BIGINT NOT NULL DEFAULT 0,
    lock_seq         BIGINT NOT NULL DEFAULT 0
);

-- The append-only ledger: every change of on-hand stock.
CREATE TABLE inventory_movements (
    id          TEXT PRIMARY KEY,
    sku         TEXT NOT NULL,
    location_id TEXT NOT NULL,
    delta       BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    reference   TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX inventory_movements_sku_loc ON inventory_movements (sku, location_id, at);

-- Levels derived from the ledger (on_hand) and the active reservations (reserved).
CREATE TABLE inventory_levels (
    sku          TEXT NOT NULL,
    location_id  TEXT NOT NULL,
    on_hand      BIGINT NOT NULL DEFAULT 0,
    reserved     BIGINT NOT NULL DEFAULT 0,
    safety_stock BIGINT NOT NULL DEFAULT 0,
    incoming     BIGINT NOT NULL DEFAULT 0,
    version      BIGINT NOT NULL DEFAULT 1,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (sku, location_id)
);
CREATE INDEX inventory_levels_location ON inventory_levels (location_id);

-- Safety stock set directly for a SKU at a location; it wins over rules.
CREATE TABLE safety_stock (
    sku         TEXT NOT NULL,
    location_id TEXT NOT NULL,
    quantity    BIGINT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (sku, location_id)
);

-- Reservations per order line, at a location or network-wide (location_id '').
CREATE TABLE reservations (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    line_id     TEXT NOT NULL,
    sku         TEXT NOT NULL,
    location_id TEXT NOT NULL DEFAULT '',
    quantity    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    expires_at  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX reservations_order ON reservations (order_id);
CREATE INDEX reservations_sku_status ON reservations (sku, status, expires_at);

-- What the hub last told each channel for each SKU (location_id '' = network figure).
CREATE TABLE published_inventory (
    channel     TEXT NOT NULL,
    sku         TEXT NOT NULL,
    location_id TEXT NOT NULL,
    quantity    BIGINT NOT NULL,
    inputs      TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel, sku, location_id)
);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    doc        TEXT NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    channel        TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    number         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    customer_id    TEXT NOT NULL DEFAULT '',
    customer_email TEXT NOT NULL DEFAULT '',
    placed_at      TEXT NOT NULL,
    source_version BIGINT NOT NULL DEFAULT 0,
    doc            TEXT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX orders_placed ON orders (placed_at, id);
CREATE INDEX orders_status ON orders (status, placed_at);
CREATE INDEX orders_email ON orders (customer_email, placed_at);
CREATE INDEX orders_customer ON orders (customer_id);

-- Every external id an order has, one per connector instance.
CREATE TABLE order_refs (
    connector   TEXT NOT NULL,
    external_id TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    PRIMARY KEY (connector, external_id)
);
CREATE INDEX order_refs_order ON order_refs (order_id);

-- Every change of an order, in order (seq is the order's row version after it).
CREATE TABLE order_history (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX order_history_order ON order_history (order_id, seq);

CREATE TABLE allocations (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    location_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    doc         TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX allocations_order ON allocations (order_id);

CREATE TABLE shipments (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    location_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    doc         TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX shipments_order ON shipments (order_id);

-- +goose Down
DROP TABLE shipments;
DROP TABLE allocations;
DROP TABLE order_history;
DROP TABLE order_refs;
DROP TABLE orders;
DROP TABLE customers;
DROP TABLE published_inventory;
DROP TABLE reservations;
DROP TABLE safety_stock;
DROP TABLE inventory_levels;
DROP TABLE inventory_movements;
DROP TABLE inventory_skus;
DROP TABLE location_capacity;
DROP TABLE locations;
