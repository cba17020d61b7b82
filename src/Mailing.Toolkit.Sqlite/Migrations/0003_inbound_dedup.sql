-- Mailing.Toolkit schema version 3: inbound de-duplication.
-- Inbound messages handled once per (mailbox, Message-ID or digest); state 0 handling until 'until', 1 handled at 'until'.
CREATE TABLE "{prefix}inbound_dedup" (
    mailbox TEXT NOT NULL,
    message_key TEXT NOT NULL,
    state INTEGER NOT NULL,
    until INTEGER NOT NULL,
    PRIMARY KEY (mailbox, message_key)
);
