-- +goose Up
-- Network available-to-promise kept per SKU, so a network figure is one row
-- read instead of a sum over every location. One row per SKU and scope: scope
-- '' is every active location; any other scope is a channel's selection of
-- locations (JSON {"l":[ids],"g":[groups],"x":[excluded ids]}). atp is the sum
-- over the scope's locations of max(on_hand - reserved - safety_stock, 0),
-- kept up to date by the inventory service in the transaction of every change
-- of a level. A row is valid only while its epoch equals location_epoch.n: a
-- change of a location's active flag or groups bumps that counter, and rows of
-- an older epoch are recomputed from the levels before use.
CREATE TABLE inventory_atp (
    sku   TEXT NOT NULL,
    scope TEXT NOT NULL,
    atp   BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    PRIMARY KEY (sku, scope)
);

CREATE TABLE location_epoch (
    id INTEGER PRIMARY KEY,
    n  BIGINT NOT NULL
);
INSERT INTO location_epoch (id, n) VALUES (1, 0);

-- +goose Down
DROP TABLE location_epoch;
DROP TABLE inventory_atp;
