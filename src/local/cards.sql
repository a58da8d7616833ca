-- Schema 3: the customer cards the console has read (`GET /api/v1/customers/{id}/card`), kept
-- so that a case opened offline still shows who the customer is and what each system said.
CREATE TABLE customer_cards (
    customer_id TEXT PRIMARY KEY,
    fetched_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
