-- The customer card (issue 14): its facts count and read a customer's events of some kinds in
-- a window, which this index answers without reading the events themselves (a customer with
-- 10,000 events: a few index seeks per fact). Keep in step with the other backend's
-- 0010_cards.sql.
CREATE INDEX events_customer_kind ON events (customer_id, kind, occurred_at);
