-- +goose Up
-- Routing decisions (hub/routing): every decision made for an order, with its
-- full explanation as JSON (rules tried, candidates and scores, exclusions and
-- their reasons, plan, estimated cost, baseline and saving), and the order as
-- routed so a rejected request can be rerouted. Allocations themselves live in
-- the state's `allocations` table; capacity use in `location_capacity`.
CREATE TABLE routing_decisions (
    id               TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    outcome          TEXT NOT NULL,            -- allocated | held | backorder
    rule             TEXT NOT NULL DEFAULT '',
    queue            TEXT NOT NULL DEFAULT '', -- hold queue of a held order
    currency         TEXT NOT NULL DEFAULT '',
    estimated_cost   BIGINT,                   -- minor units; NULL when no plan
    baseline_cost    BIGINT,                   -- everything from the default warehouse
    saving           BIGINT,                   -- baseline_cost - estimated_cost
    decided_at       TEXT NOT NULL,
    doc              TEXT NOT NULL,            -- the Decision as JSON
    order_doc        TEXT NOT NULL,            -- the canonical.Order as routed
    UNIQUE (order_id, attempt)
);
CREATE INDEX routing_decisions_queue ON routing_decisions (queue, outcome, decided_at);
CREATE INDEX routing_decisions_decided ON routing_decisions (decided_at);

-- +goose Down
DROP TABLE routing_decisions;
