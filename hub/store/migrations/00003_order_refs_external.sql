-- +goose Up
-- Order search by external id looks refs up by id alone, across connectors.
CREATE INDEX order_refs_external ON order_refs (external_id);

-- +goose Down
DROP INDEX order_refs_external;
