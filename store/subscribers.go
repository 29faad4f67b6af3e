package store

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// subscriptionName is the one subscription a configured subscriber has; the
// table allows more for SQL users who want them.
const subscriptionName = "default"

const qSyncSubscriber = `
INSERT INTO subscribers (name, timezone, enabled)
VALUES ($1, $2, true)
ON CONFLICT (name) DO UPDATE SET
    timezone = excluded.timezone, enabled = true, updated_at = now()
RETURNING id`

// qSyncChannels upserts a subscriber's addresses ($2 channels, $3
// addresses) and deletes the channels it no longer has. A new address gets
// a fresh chance after a 410.
const qSyncChannels = `
WITH gone AS (
    DELETE FROM subscriber_channels WHERE subscriber_id = $1 AND NOT (channel = ANY ($2::text[])))
INSERT INTO subscriber_channels (subscriber_id, channel, address)
SELECT $1, c, a FROM unnest($2::text[], $3::text[]) AS t (c, a)
ON CONFLICT (subscriber_id, channel) DO UPDATE SET
    address = excluded.address,
    disabled_at = CASE WHEN subscriber_channels.address IS DISTINCT FROM excluded.address
                       THEN NULL ELSE subscriber_channels.disabled_at END,
    disabled_reason = CASE WHEN subscriber_channels.address IS DISTINCT FROM excluded.address
                       THEN NULL ELSE subscriber_channels.disabled_reason END,
    updated_at = now()`

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
       OR NOT EXISTS (SELECT FROM subscriber_channels c
                      WHERE c.subscriber_id = d.subscriber_id AND c.channel = d.channel))`

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
	if err := tx.QueryRow(ctx, qSyncSubscriber, s.Name, c.Location.String()).Scan(&id); err != nil {
		return fmt.Errorf("store: sync subscriber %s: %w", s.Name, err)
	}
	addrs := s.Addresses()
	channels := slices.Sorted(maps.Keys(addrs))
	values := make([]string, len(channels))
	for i, ch := range channels {
		values[i] = addrs[ch]
	}
	if _, err := tx.Exec(ctx, qSyncChannels, id, channels, values); err != nil {
		return fmt.Errorf("store: sync channels of subscriber %s: %w", s.Name, err)
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
SELECT s.id, s.name,
       coalesce((SELECT jsonb_object_agg(c.channel, c.address) FROM subscriber_channels c
                 WHERE c.subscriber_id = s.id AND c.disabled_at IS NULL), '{}'),
       coalesce((SELECT jsonb_object_agg(c.channel, coalesce(c.disabled_reason, '')) FROM subscriber_channels c
                 WHERE c.subscriber_id = s.id AND c.disabled_at IS NOT NULL), '{}'),
       coalesce(sub.spec, 'immediate'), s.created_at
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
