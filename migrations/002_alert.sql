-- wirewatch schema, version 2: delivery bookkeeping for alert/.
-- Who holds a lease, what the far end last answered, and the id a webhook
-- receiver or a mail reader sees, so an operator can answer "why was this
-- not delivered?" with one query.

ALTER TABLE deliveries
    ADD COLUMN lease_owner   text,
    ADD COLUMN last_response text,
    ADD COLUMN message_id    text,
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now();
COMMENT ON COLUMN deliveries.lease_until IS 'A sender holds the delivery (status sending) until then; an expired lease returns it to pending.';
COMMENT ON COLUMN deliveries.last_response IS 'The last SMTP reply or HTTP status line from the far end (success or failure).';
COMMENT ON COLUMN deliveries.message_id IS 'Email Message-ID or webhook-id header; stable across retries, so a repeat is recognisable.';
COMMENT ON COLUMN deliveries.digest_id IS 'The digest this digest-mode delivery was attached to (NULL until its period closes).';

-- Expired leases are looked up on every pass.
CREATE INDEX deliveries_sending_idx ON deliveries (lease_until) WHERE status = 'sending';
-- Digest-mode rows waiting for their period to close, per subscriber.
CREATE INDEX deliveries_unattached_idx ON deliveries (subscriber_id, created_at)
    WHERE status = 'pending' AND mode = 'digest' AND digest_id IS NULL;

ALTER TABLE digests
    ADD COLUMN lease_owner   text,
    ADD COLUMN last_response text;
CREATE INDEX digests_due_idx ON digests (next_attempt_at) WHERE status = 'pending';

ALTER TABLE subscriptions
    ADD COLUMN enabled boolean NOT NULL DEFAULT true;

CREATE VIEW delivery_status AS
SELECT d.id,
       s.name AS subscriber,
       d.channel,
       d.mode,
       d.event,
       d.status,
       d.attempts,
       d.next_attempt_at,
       d.sent_at,
       d.error,
       d.last_response,
       d.digest_id,
       a.id AS article_id,
       a.title,
       a.canonical_url AS url,
       d.created_at
FROM deliveries d
JOIN subscribers s ON s.id = d.subscriber_id
JOIN articles a ON a.id = d.article_id;
COMMENT ON VIEW delivery_status IS 'Deliveries with subscriber name and article title: what was sent to whom, and why not.';
