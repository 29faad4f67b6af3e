package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// subscriptionName is the one subscription a configured subscriber has; the
// table allows more for SQL users who want them.
const subscriptionName = "default"

const qSyncSubscriber = `
INSERT INTO subscribers (name, email, webhook_url, timezone, enabled)
VALUES ($1, nullif($2, ''), nullif($3, ''), $4, true)
ON CONFLICT (name) DO UPDATE SET
    email = excluded.email,
    webhook_url = excluded.webhook_url,
    timezone = excluded.timezone,
    enabled = true,
    -- a new webhook URL gets a fresh chance after a 410.
    webhook_disabled_at = CASE WHEN subscribers.webhook_url IS DISTINCT FROM excluded.webhook_url
                               THEN NULL ELSE subscribers.webhook_disabled_at END,
    webhook_disabled_reason = CASE WHEN subscribers.webhook_url IS DISTINCT FROM excluded.webhook_url
                               THEN NULL ELSE subscribers.webhook_disabled_reason END,
    updated_at = now()
RETURNING id`

const qSyncSubscription = `
INSERT INTO subscriptions (subscriber_id, name, topics, min_score, outlets, languages, cadence, at_time, weekday, timezone, spec, enabled)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true)
ON CONFLICT (subscriber_id, name) DO UPDATE SET
    topics = excluded.topics, min_score = excluded.min_score, outlets = excluded.outlets,
    languages = excluded.languages, cadence = excluded.cadence, at_time = excluded.at_time,
    weekday = excluded.weekday, timezone = excluded.timezone, spec = excluded.spec, enabled = true`

const qDisableSubscribers = `
UPDATE subscribers SET enabled = false, updated_at = now()
WHERE enabled AND NOT (name = ANY ($1::text[]))`

// Rows of subscribers no longer configured, or of a channel a subscriber no
// longer has, would wait forever: cancel them.
const qCancelOrphans = `
UPDATE deliveries d SET status = 'cancelled', updated_at = now(),
       error = CASE WHEN NOT s.enabled THEN 'subscriber removed from the configuration'
                    ELSE 'channel removed from the configuration' END
FROM subscribers s
WHERE s.id = d.subscriber_id AND d.status = 'pending'
  AND (NOT s.enabled
       OR (d.channel = 'email' AND coalesce(s.email, '') = '')
       OR (d.channel = 'webhook' AND coalesce(s.webhook_url, '') = ''))`

// SyncSubscribers makes the subscribers table match the configuration: it
// upserts subs into subscribers and subscriptions (one subscription named
// "default" each), disables every subscriber not in subs and cancels their
// pending deliveries (and those of channels a subscriber no longer has), all
// in one transaction. Secrets are not stored: the sender reads them from
// the configuration.
//
// It prunes, so subs must be the whole configuration: only the daemon calls
// it, at start-up. Commands that touch one subscriber use UpsertSubscriber.
func (s *Store) SyncSubscribers(ctx context.Context, subs []config.Subscriber) error {
	return s.InTx(ctx, func(tx *Tx) error {
		names := make([]string, 0, len(subs))
		for _, sub := range subs {
			if err := upsertSubscriber(ctx, tx.tx, sub); err != nil {
				return err
			}
			names = append(names, sub.Name)
		}
		if _, err := tx.tx.Exec(ctx, qDisableSubscribers, names); err != nil {
			return fmt.Errorf("store: disable unconfigured subscribers: %w", err)
		}
		if _, err := tx.tx.Exec(ctx, qCancelOrphans); err != nil {
			return fmt.Errorf("store: cancel deliveries of removed subscribers: %w", err)
		}
		return nil
	})
}

// UpsertSubscriber adds or updates one subscriber (and its "default"
// subscription) and enables it. It leaves every other subscriber, and every
// delivery, as it is: a command run with a configuration that lists only
// some subscribers must not disable the rest.
func (s *Store) UpsertSubscriber(ctx context.Context, sub config.Subscriber) error {
	return s.InTx(ctx, func(tx *Tx) error { return upsertSubscriber(ctx, tx.tx, sub) })
}

func upsertSubscriber(ctx context.Context, tx pgx.Tx, s config.Subscriber) error {
	c, err := config.ParseCadence(s.Cadence)
	if err != nil {
		return fmt.Errorf("store: sync subscriber %s: %w", s.Name, err)
	}
	var id int64
	if err := tx.QueryRow(ctx, qSyncSubscriber, s.Name, strings.TrimSpace(s.Email), strings.TrimSpace(s.Webhook), c.Location.String()).Scan(&id); err != nil {
		return fmt.Errorf("store: sync subscriber %s: %w", s.Name, err)
	}
	var atTime *string
	var weekday *int16
	if c.Mode != model.ModeImmediate {
		t := fmt.Sprintf("%02d:%02d", c.Hour, c.Minute)
		atTime = &t
	}
	if c.Mode == "weekly" {
		w := int16(c.Weekday)
		weekday = &w
	}
	if _, err := tx.Exec(ctx, qSyncSubscription, id, subscriptionName, nonNil(s.Topics), s.MinScore,
		nonNil(s.Outlets), nonNil(s.Languages), c.Mode, atTime, weekday, c.Location.String(), c.Spec); err != nil {
		return fmt.Errorf("store: sync subscription of %s: %w", s.Name, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const qSubscribers = `
SELECT s.id, s.name, coalesce(s.email, ''), coalesce(s.webhook_url, ''),
       s.webhook_disabled_at IS NOT NULL, coalesce(sub.spec, 'immediate'), s.created_at
FROM subscribers s
LEFT JOIN LATERAL (
    SELECT spec FROM subscriptions
    WHERE subscriber_id = s.id AND enabled
    ORDER BY (name = 'default') DESC, id LIMIT 1
) sub ON true
WHERE s.enabled
ORDER BY s.id`

// Subscribers returns the enabled subscribers, with the cadence of their
// (first) subscription.
func (s *Store) Subscribers(ctx context.Context) ([]model.Subscriber, error) {
	return queryRows[model.Subscriber](ctx, s.Pool, "load subscribers", qSubscribers)
}
