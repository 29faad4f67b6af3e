package alert

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wirewatch/wirewatch/config"
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
// in one transaction. Secrets are not stored: the Service reads them from
// the configuration.
//
// It prunes, so subs must be the whole configuration: only the daemon calls
// it, at start-up. Commands that touch one subscriber use UpsertSubscriber.
func SyncSubscribers(ctx context.Context, pool *pgxpool.Pool, subs []config.Subscriber) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		names := make([]string, 0, len(subs))
		for _, s := range subs {
			if err := upsertSubscriber(ctx, tx, s); err != nil {
				return err
			}
			names = append(names, s.Name)
		}
		if _, err := tx.Exec(ctx, qDisableSubscribers, names); err != nil {
			return fmt.Errorf("alert: disable unconfigured subscribers: %w", err)
		}
		if _, err := tx.Exec(ctx, qCancelOrphans); err != nil {
			return fmt.Errorf("alert: cancel deliveries of removed subscribers: %w", err)
		}
		return nil
	})
}

// UpsertSubscriber adds or updates one subscriber (and its "default"
// subscription) and enables it. It leaves every other subscriber, and every
// delivery, as it is: a command run with a configuration that lists only
// some subscribers must not disable the rest.
func UpsertSubscriber(ctx context.Context, pool *pgxpool.Pool, sub config.Subscriber) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return upsertSubscriber(ctx, tx, sub)
	})
}

// ConfiguredSubscriber returns the subscriber named name in cfg, or an
// error wrapping ErrUnknownSubscriber that says it is not configured.
func ConfiguredSubscriber(cfg config.Alert, name string) (config.Subscriber, error) {
	for _, s := range cfg.Subscribers {
		if s.Name == name {
			return s, nil
		}
	}
	return config.Subscriber{}, fmt.Errorf("%w %q: it is not in alert.subscribers of this configuration", ErrUnknownSubscriber, name)
}

func upsertSubscriber(ctx context.Context, tx pgx.Tx, s config.Subscriber) error {
	c, err := config.ParseCadence(s.Cadence)
	if err != nil {
		return fmt.Errorf("alert: sync subscriber %s: %w", s.Name, err)
	}
	var id int64
	if err := tx.QueryRow(ctx, qSyncSubscriber, s.Name, strings.TrimSpace(s.Email), strings.TrimSpace(s.Webhook), c.Location.String()).Scan(&id); err != nil {
		return fmt.Errorf("alert: sync subscriber %s: %w", s.Name, err)
	}
	var atTime *string
	var weekday *int16
	if c.Mode != ModeImmediate {
		t := fmt.Sprintf("%02d:%02d", c.Hour, c.Minute)
		atTime = &t
	}
	if c.Mode == "weekly" {
		w := int16(c.Weekday)
		weekday = &w
	}
	if _, err := tx.Exec(ctx, qSyncSubscription, id, subscriptionName, nonNil(s.Topics), s.MinScore,
		nonNil(s.Outlets), nonNil(s.Languages), c.Mode, atTime, weekday, c.Location.String(), c.Spec); err != nil {
		return fmt.Errorf("alert: sync subscription of %s: %w", s.Name, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// subscriber is what sending needs to know about a subscriber.
type subscriber struct {
	ID        int64
	Name      string
	Email     string
	Webhook   string
	Disabled  bool // webhook disabled after a 410
	Cadence   config.Cadence
	Secret    string
	CreatedAt time.Time
}

const qLoadSubscribers = `
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

// loadSubscribers reads the enabled subscribers, with the cadence of their
// (first) subscription and the webhook secret from the configuration.
func loadSubscribers(ctx context.Context, q querier, cfg []config.Subscriber) (map[int64]*subscriber, error) {
	secrets := map[string]string{}
	for _, s := range cfg {
		secrets[s.Name] = s.WebhookSecret.Reveal()
	}
	rows, err := q.Query(ctx, qLoadSubscribers)
	if err != nil {
		return nil, fmt.Errorf("alert: load subscribers: %w", err)
	}
	defer rows.Close()
	out := map[int64]*subscriber{}
	for rows.Next() {
		var s subscriber
		var spec string
		if err := rows.Scan(&s.ID, &s.Name, &s.Email, &s.Webhook, &s.Disabled, &spec, &s.CreatedAt); err != nil {
			return nil, fmt.Errorf("alert: load subscribers: %w", err)
		}
		c, err := config.ParseCadence(spec)
		if err != nil {
			// A hand-edited row: treat as immediate rather than stop.
			c, _ = config.ParseCadence("immediate")
		}
		s.Cadence = c
		s.Secret = secrets[s.Name]
		out[s.ID] = &s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alert: load subscribers: %w", err)
	}
	return out, nil
}

// querier is what pgxpool.Pool, pgx.Conn and pgx.Tx have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
