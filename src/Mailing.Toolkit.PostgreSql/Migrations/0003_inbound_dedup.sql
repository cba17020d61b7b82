-- Mailing.Toolkit schema version 3: inbound de-duplication.
-- Inbound messages handled once per (mailbox, Message-ID or digest); state 0 handling until 'until', 1 handled at 'until'.
CREATE TABLE "{schema}"."{prefix}inbound_dedup" (
    mailbox text COLLATE "C" NOT NULL,
    message_key text COLLATE "C" NOT NULL,
    state smallint NOT NULL,
    until timestamptz NOT NULL,
    PRIMARY KEY (mailbox, message_key)
);
