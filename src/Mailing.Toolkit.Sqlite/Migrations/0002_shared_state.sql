-- Mailing.Toolkit schema version 2: state shared by every instance.
CREATE TABLE "{prefix}auto_reply_history" (
    responder TEXT NOT NULL,
    sender TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL,
    PRIMARY KEY (responder, sender)
);
CREATE TABLE "{prefix}mailbox_state" (
    mailbox_key TEXT NOT NULL PRIMARY KEY,
    uid_validity INTEGER NULL,
    last_uid INTEGER NOT NULL,
    handled_ids TEXT NOT NULL,
    updated_at INTEGER NULL,
    version INTEGER NOT NULL
);
-- category '' is the entry that blocks every category.
CREATE TABLE "{prefix}suppression" (
    address TEXT NOT NULL,
    category TEXT NOT NULL,
    reason INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    detail TEXT NULL,
    PRIMARY KEY (address, category)
);
