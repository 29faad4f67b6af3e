package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/model"
)

// The outbox: the deliveries table, written in the transaction that stores
// the decision that caused them (see alert.Plan for the rules).

const qOutboxDecision = `
SELECT coalesce(relevant, false), coalesce(score, 0)::float8, topics, outlet, language,
       fetch_state = 'refused', coalesce(published_at, first_seen_at), first_seen_at
FROM articles WHERE id = $1`

// qOutboxTopicScores reads the scores of the article's current
// classification.
const qOutboxTopicScores = `
SELECT c.topic, c.score::float8 FROM classifications c JOIN articles a ON a.id = c.article_id
WHERE c.article_id = $1 AND c.classifier_version = a.classifier_version`

const qOutboxSubscriptions = `
SELECT s.id,
       coalesce((SELECT array_agg(c.channel ORDER BY c.channel) FROM subscriber_channels c
                 WHERE c.subscriber_id = s.id AND c.disabled_at IS NULL), '{}') AS channels,
       sub.cadence, sub.topics, sub.min_score::float8, sub.outlets, sub.languages
FROM subscribers s
JOIN subscriptions sub ON sub.subscriber_id = s.id
WHERE s.enabled AND sub.enabled
ORDER BY s.id, sub.id`

// qOutboxExisting is served by deliveries_article_idx.
const qOutboxExisting = `
SELECT subscriber_id, channel, event, status, digest_id IS NOT NULL
FROM deliveries WHERE article_id = $1`

const qQueueDelivery = `
INSERT INTO deliveries (subscriber_id, article_id, channel, mode, event, score)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (subscriber_id, article_id, channel, event) DO NOTHING`

// qCancelDelivery withdraws a 'new' row nobody has taken yet. Rows already
// attached to a digest stay (the digest shows the flag).
const qCancelDelivery = `
UPDATE deliveries SET status = 'cancelled', error = $4, updated_at = now()
WHERE subscriber_id = $1 AND article_id = $2 AND channel = $3 AND event = 'new'
  AND status = 'pending' AND digest_id IS NULL`

// qReviveDelivery puts back a 'new' row that was cancelled before it was
// sent: the unique key allows one 'new' row, so the old one is reused, with
// the current mode and a fresh start.
const qReviveDelivery = `
UPDATE deliveries SET status = 'pending', mode = $4, score = $5, attempts = 0, error = NULL,
       last_response = NULL, next_attempt_at = now(), lease_until = NULL, lease_owner = NULL,
       created_at = now(), updated_at = now()
WHERE subscriber_id = $1 AND article_id = $2 AND channel = $3 AND event = 'new'
  AND status = 'cancelled' AND sent_at IS NULL AND digest_id IS NULL`

// OutboxInput reads what the outbox planner decides from for one article:
// its stored decision, every enabled subscription and the article's
// existing deliveries, in one round trip.
func (t *Tx) OutboxInput(ctx context.Context, articleID int64) (model.OutboxInput, error) {
	in := model.OutboxInput{Decision: model.Decision{ArticleID: articleID, TopicScores: map[string]float64{}}}
	var reads pgx.Batch
	d := &in.Decision
	reads.Queue(qOutboxDecision, articleID).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(&d.Relevant, &d.Score, &d.Topics, &d.Outlet, &d.Language, &d.Refused, &d.PublishedAt, &d.FirstSeenAt); err != nil {
			return fmt.Errorf("load article: %w", interpretError(err))
		}
		return nil
	})
	reads.Queue(qOutboxTopicScores, articleID).Query(func(rows pgx.Rows) error {
		var topic string
		var score float64
		_, err := pgx.ForEachRow(rows, []any{&topic, &score}, func() error {
			d.TopicScores[topic] = score
			return nil
		})
		if err != nil {
			return fmt.Errorf("load classification: %w", err)
		}
		return nil
	})
	reads.Queue(qOutboxSubscriptions).Query(func(rows pgx.Rows) error {
		var err error
		in.Subscriptions, err = pgx.CollectRows(rows, pgx.RowToStructByPos[model.Subscription])
		if err != nil {
			return fmt.Errorf("load subscriptions: %w", err)
		}
		return nil
	})
	reads.Queue(qOutboxExisting, articleID).Query(func(rows pgx.Rows) error {
		var err error
		in.Existing, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.DeliveryState, error) {
			var e model.DeliveryState
			err := r.Scan(&e.SubscriberID, &e.Channel, &e.Event, &e.Status, &e.InDigest)
			return e, err
		})
		if err != nil {
			return fmt.Errorf("load deliveries: %w", err)
		}
		return nil
	})
	if err := t.tx.SendBatch(ctx, &reads).Close(); err != nil {
		return in, fmt.Errorf("store: outbox of article %d: %w", articleID, err)
	}
	return in, nil
}

// QueueDeliveries applies the planned changes to an article's deliveries
// in one round trip and returns how many deliveries it queued (inserted, or
// revived from cancelled).
func (t *Tx) QueueDeliveries(ctx context.Context, articleID int64, plan []model.PlannedDelivery) (int, error) {
	if len(plan) == 0 {
		return 0, nil
	}
	var batch pgx.Batch
	for _, p := range plan {
		switch p.Action {
		case model.QueueDelivery:
			batch.Queue(qQueueDelivery, p.SubscriberID, articleID, p.Channel, p.Mode, p.Event, p.Score)
		case model.ReviveDelivery:
			batch.Queue(qReviveDelivery, p.SubscriberID, articleID, p.Channel, p.Mode, p.Score)
		case model.CancelDelivery:
			batch.Queue(qCancelDelivery, p.SubscriberID, articleID, p.Channel, p.Reason)
		default:
			return 0, fmt.Errorf("store: queue deliveries of article %d: unknown action %d", articleID, p.Action)
		}
	}
	br := t.tx.SendBatch(ctx, &batch)
	n := 0
	for _, p := range plan {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return 0, fmt.Errorf("store: queue deliveries of article %d: %w", articleID, err)
		}
		if p.Action != model.CancelDelivery {
			n += int(tag.RowsAffected())
		}
	}
	if err := br.Close(); err != nil {
		return 0, fmt.Errorf("store: queue deliveries of article %d: %w", articleID, err)
	}
	return n, nil
}
