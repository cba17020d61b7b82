-- Mailing.Toolkit schema version 1: the outbox.
CREATE TABLE "{schema}"."{prefix}outbox" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id text NOT NULL,
    state smallint NOT NULL,
    priority integer NOT NULL DEFAULT 0,
    sender_key text NULL,
    idempotency_key text NULL UNIQUE,
    subject text NULL,
    recipients text NULL,
    envelope text NULL,
    message bytea NOT NULL,
    size integer NOT NULL,
    created_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    lease_token uuid NULL,
    last_attempt_at timestamptz NULL,
    finished_at timestamptz NULL,
    last_error text NULL,
    response text NULL
);
COMMENT ON COLUMN "{schema}"."{prefix}outbox".state IS '0 queued, 1 sending, 2 sent, 3 failed, 4 maybe delivered, 5 cancelled';
-- The lease takes due rows in this index's order (FOR UPDATE SKIP LOCKED); an expired lease is a due row in state 1.
CREATE INDEX "{prefix}outbox_due" ON "{schema}"."{prefix}outbox" (priority DESC, due_at, id) WHERE state IN (0, 1);
-- Only the rows a person looks up by state; pending rows are in outbox_due, sent ones are found by id.
CREATE INDEX "{prefix}outbox_state" ON "{schema}"."{prefix}outbox" (state, id) WHERE state IN (3, 4, 5);
CREATE INDEX "{prefix}outbox_finished" ON "{schema}"."{prefix}outbox" (finished_at) WHERE state IN (2, 5);
