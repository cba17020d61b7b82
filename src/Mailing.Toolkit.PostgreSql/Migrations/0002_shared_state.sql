-- Mailing.Toolkit schema version 2: state shared by every instance.
CREATE TABLE "{schema}"."{prefix}auto_reply_history" (
    responder text COLLATE "C" NOT NULL,
    sender text COLLATE "C" NOT NULL,
    recorded_at timestamptz NOT NULL,
    blocked_until timestamptz NOT NULL,
    PRIMARY KEY (responder, sender)
);
CREATE TABLE "{schema}"."{prefix}mailbox_state" (
    mailbox_key text COLLATE "C" NOT NULL PRIMARY KEY,
    uid_validity bigint NULL,
    last_uid bigint NOT NULL,
    handled_ids text NOT NULL,
    updated_at timestamptz NULL,
    version bigint NOT NULL
);
-- category '' is the entry that blocks every category; "C" collation keeps the list's order ordinal.
CREATE TABLE "{schema}"."{prefix}suppression" (
    address text COLLATE "C" NOT NULL,
    category text COLLATE "C" NOT NULL,
    reason smallint NOT NULL,
    created_at timestamptz NOT NULL,
    detail text NULL,
    PRIMARY KEY (address, category)
);
