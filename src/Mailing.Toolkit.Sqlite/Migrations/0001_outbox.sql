-- Mailing.Toolkit schema version 1: the outbox.
CREATE TABLE "{prefix}outbox" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    state INTEGER NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    sender_key TEXT NULL,
    idempotency_key TEXT NULL UNIQUE,
    subject TEXT NULL,
    recipients TEXT NULL,
    envelope TEXT NULL,
    message BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_token BLOB NULL,
    last_attempt_at INTEGER NULL,
    finished_at INTEGER NULL,
    last_error TEXT NULL,
    response TEXT NULL
);
-- Times are microseconds since 1970-01-01 UTC. States: 0 queued, 1 sending, 2 sent, 3 failed, 4 maybe delivered, 5 cancelled.
-- The lease takes due rows in this index's order; an expired lease is a due row in state 1.
CREATE INDEX "{prefix}outbox_due" ON "{prefix}outbox" (priority DESC, due_at, id) WHERE state IN (0, 1);
-- Only the rows a person looks up by state; pending rows are in outbox_due, sent ones are found by id.
CREATE INDEX "{prefix}outbox_state" ON "{prefix}outbox" (state, id) WHERE state IN (3, 4, 5);
CREATE INDEX "{prefix}outbox_finished" ON "{prefix}outbox" (finished_at) WHERE state IN (2, 5);
