-- wirewatch schema, migration 013: delivery channels are named by the code,
-- not by the schema (issue 13). A channel (email, webhook, slack, …) is a
-- file in alert/ and its name in the configuration; adding one needs no
-- migration.
--
-- deliveries.channel took only 'email' and 'webhook': it now takes any
-- channel name (lower-case letters, digits, '_'). Which names are valid is
-- decided by the channels the daemon has (alert.NewChannels); a row of a
-- channel the daemon does not have waits, pending, like an email row while
-- alert.smtp.url is empty.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check
    CHECK (channel ~ '^[a-z][a-z0-9_]*$');

-- A subscriber's address on each channel, one row per subscriber and
-- channel, in place of the per-channel columns of subscribers (email,
-- webhook_url, webhook_disabled_at, webhook_disabled_reason).
CREATE TABLE subscriber_channels (
    subscriber_id   bigint      NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    channel         text        NOT NULL CHECK (channel ~ '^[a-z][a-z0-9_]*$'),
    address         text        NOT NULL CHECK (address <> ''),
    disabled_at     timestamptz,
    disabled_reason text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscriber_id, channel)
);
COMMENT ON TABLE subscriber_channels IS 'Where each subscriber is reached, one row per channel (email, webhook, slack, …); synced from the configuration at start.';
COMMENT ON COLUMN subscriber_channels.address IS 'An email address or an endpoint URL; a chat webhook URL is itself a secret, so the analysts'' role cannot read this column.';
COMMENT ON COLUMN subscriber_channels.disabled_at IS 'Set when the far end said the address is gone for good (HTTP 410); nothing is sent there until the configuration gives a new address.';

INSERT INTO subscriber_channels (subscriber_id, channel, address)
SELECT id, 'email', email FROM subscribers WHERE coalesce(email, '') <> '';
INSERT INTO subscriber_channels (subscriber_id, channel, address, disabled_at, disabled_reason)
SELECT id, 'webhook', webhook_url, webhook_disabled_at, webhook_disabled_reason
FROM subscribers WHERE coalesce(webhook_url, '') <> '';

ALTER TABLE subscribers
    DROP COLUMN email,
    DROP COLUMN webhook_url,
    DROP COLUMN webhook_disabled_at,
    DROP COLUMN webhook_disabled_reason;

-- Analysts see who is reached on which channel, not the address: a webhook
-- or chat URL carries its own credentials.
REVOKE SELECT ON subscriber_channels FROM wirewatch_reader;
GRANT SELECT (subscriber_id, channel, disabled_at, disabled_reason, updated_at)
    ON subscriber_channels TO wirewatch_reader;
