-- +goose Up
-- Every change of a SKU reads what its channels were last told by SKU alone;
-- the primary key (channel, sku, location_id) cannot serve that.
CREATE INDEX published_inventory_sku ON published_inventory (sku);

-- +goose Down
DROP INDEX published_inventory_sku;
