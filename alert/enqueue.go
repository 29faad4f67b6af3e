package alert

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

const qEnqueueArticle = `
SELECT coalesce(relevant, false), coalesce(score, 0)::float8, topics, outlet, language
FROM articles WHERE id = $1`

// qEnqueueTopicScores reads the scores of the article's current
// classification (sent in the same round trip as qEnqueueArticle).
const qEnqueueTopicScores = `
SELECT c.topic, c.score::float8 FROM classifications c JOIN articles a ON a.id = c.article_id
WHERE c.article_id = $1 AND c.classifier_version = a.classifier_version`

const qEnqueueSubscriptions = `
SELECT s.id,
       coalesce(s.email, '') <> '' AS has_email,
       coalesce(s.webhook_url, '') <> '' AND s.webhook_disabled_at IS NULL AS has_webhook,
       sub.cadence, sub.topics, sub.min_score::float8, sub.outlets, sub.languages
FROM subscribers s
JOIN subscriptions sub ON sub.subscriber_id = s.id
WHERE s.enabled AND sub.enabled
ORDER BY s.id, sub.id`

const qEnqueueExisting = `
SELECT subscriber_id, channel, event, status, mode, digest_id IS NOT NULL
FROM deliveries WHERE article_id = $1`

const qEnqueueInsert = `
INSERT INTO deliveries (subscriber_id, article_id, channel, mode, event, score)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (subscriber_id, article_id, channel, event) DO NOTHING`

// qEnqueueCancel withdraws a 'new' row nobody has taken yet: the article is
// no longer relevant to the subscriber, or it was removed before the alert
// left. Rows already attached to a digest stay (the digest shows the flag).
const qEnqueueCancel = `
UPDATE deliveries SET status = 'cancelled', error = $4, updated_at = now()
WHERE subscriber_id = $1 AND article_id = $2 AND channel = $3 AND event = 'new'
  AND status = 'pending' AND digest_id IS NULL`

// qEnqueueRevive puts back a 'new' row that was cancelled before it was
// sent (the article stopped being relevant, was removed, ...) when the
// article is for the subscriber again: the unique key allows one 'new' row,
// so the old one is reused, with the current mode and a fresh start.
const qEnqueueRevive = `
UPDATE deliveries SET status = 'pending', mode = $4, score = $5, attempts = 0, error = NULL,
       last_response = NULL, next_attempt_at = now(), lease_until = NULL, lease_owner = NULL,
       created_at = now(), updated_at = now()
WHERE subscriber_id = $1 AND article_id = $2 AND channel = $3 AND event = 'new'
  AND status = 'cancelled' AND sent_at IS NULL AND digest_id IS NULL`

type subscriptionRow struct {
	subscriberID int64
	hasEmail     bool
	hasWebhook   bool
	cadence      string
	topics       []string
	minScore     float64
	outlets      []string
	languages    []string
}

type existingRow struct {
	status   string
	attached bool
}

type deliveryKey struct {
	subscriberID int64
	channel      string
	event        string
}

// Enqueue inserts the outbox rows for one article inside the caller's
// transaction (the one that stored its classification), and returns how
// many rows it queued (inserted, or revived from cancelled).
//
// For every enabled subscription, on each of the subscriber's channels:
//   - the article matches (relevant, a topic in common or no topic filter,
//     score >= min_score, outlet and language filters) and no 'new' row
//     exists, and it was not relevant before or was edited: event 'new';
//     a 'new' row cancelled before it was sent (and not in a digest) is put
//     back to pending instead;
//   - a 'new' row was sent and the article was edited or its relevance
//     changed: event 'changed' (once per article and channel);
//   - prev.Removed and a 'new' row was sent: event 'removed'; a 'new' row not
//     yet sent is cancelled instead;
//   - it no longer matches and a 'new' row is still waiting: cancelled.
//
// Email rows take the subscriber's cadence (immediate or digest); webhook
// rows are always immediate (one POST per article).
func Enqueue(ctx context.Context, tx pgx.Tx, articleID int64, prev Change) (int, error) {
	var (
		relevant bool
		score    float64
		topics   []string
		outlet   string
		lang     string
	)
	// The four reads go to the server in one round trip.
	var reads pgx.Batch
	reads.Queue(qEnqueueArticle, articleID).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(&relevant, &score, &topics, &outlet, &lang); err != nil {
			return fmt.Errorf("load article: %w", err)
		}
		return nil
	})
	topicScores := map[string]float64{}
	reads.Queue(qEnqueueTopicScores, articleID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var t string
			var sc float64
			if err := rows.Scan(&t, &sc); err != nil {
				return fmt.Errorf("scan classification: %w", err)
			}
			topicScores[t] = sc
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load classification: %w", err)
		}
		return nil
	})
	var subs []subscriptionRow
	reads.Queue(qEnqueueSubscriptions).Query(func(rows pgx.Rows) error {
		var err error
		subs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (subscriptionRow, error) {
			var s subscriptionRow
			err := r.Scan(&s.subscriberID, &s.hasEmail, &s.hasWebhook, &s.cadence, &s.topics, &s.minScore, &s.outlets, &s.languages)
			return s, err
		})
		if err != nil {
			return fmt.Errorf("load subscriptions: %w", err)
		}
		return nil
	})
	existing := map[deliveryKey]existingRow{}
	reads.Queue(qEnqueueExisting, articleID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k deliveryKey
			var e existingRow
			var mode string
			if err := rows.Scan(&k.subscriberID, &k.channel, &k.event, &e.status, &mode, &e.attached); err != nil {
				return fmt.Errorf("scan deliveries: %w", err)
			}
			existing[k] = e
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load deliveries: %w", err)
		}
		return nil
	})
	if err := tx.SendBatch(ctx, &reads).Close(); err != nil {
		return 0, fmt.Errorf("alert: enqueue article %d: %w", articleID, err)
	}
	if len(subs) == 0 {
		return 0, nil
	}

	var batch pgx.Batch
	var queues []bool // per batch entry: does it queue a delivery?
	insert := func(sub subscriptionRow, channel, mode, event string, sc float64) {
		batch.Queue(qEnqueueInsert, sub.subscriberID, articleID, channel, mode, event, sc)
		queues = append(queues, true)
	}
	revive := func(sub subscriptionRow, channel, mode string, sc float64) {
		batch.Queue(qEnqueueRevive, sub.subscriberID, articleID, channel, mode, sc)
		queues = append(queues, true)
	}
	cancel := func(sub subscriptionRow, channel, reason string) {
		batch.Queue(qEnqueueCancel, sub.subscriberID, articleID, channel, reason)
		queues = append(queues, false)
	}
	seen := map[deliveryKey]bool{}
	for _, sub := range subs {
		sc, match := matches(sub, relevant, score, topics, topicScores, outlet, lang)
		for _, ch := range channels(sub) {
			key := deliveryKey{sub.subscriberID, ch, EventNew}
			if seen[key] { // a second subscription of the same subscriber
				continue
			}
			seen[key] = true
			mode := ModeImmediate
			if ch == ChannelEmail && sub.cadence != ModeImmediate {
				mode = ModeDigest
			}
			newRow, hasNew := existing[key]
			sent := hasNew && newRow.status == StatusSent
			switch {
			case prev.Removed:
				if sent {
					insert(sub, ch, mode, EventRemoved, sc)
				} else if hasNew {
					cancel(sub, ch, "removed by the outlet before it was sent")
				}
			case match && !hasNew && (!prev.WasRelevant || prev.Edited):
				insert(sub, ch, mode, EventNew, sc)
			case match && hasNew && newRow.status == StatusCancelled && !newRow.attached && (!prev.WasRelevant || prev.Edited):
				revive(sub, ch, mode, sc)
			case match && sent && (prev.Edited || !prev.WasRelevant):
				insert(sub, ch, mode, EventChanged, sc)
			case !match && sent && prev.WasRelevant && !relevant:
				insert(sub, ch, mode, EventChanged, sc)
			case !match && hasNew && newRow.status == StatusPending && !newRow.attached:
				cancel(sub, ch, "no longer relevant to the subscriber")
			}
		}
	}
	if batch.Len() == 0 {
		return 0, nil
	}
	br := tx.SendBatch(ctx, &batch)
	n := 0
	for _, q := range queues {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return 0, fmt.Errorf("alert: enqueue article %d: %w", articleID, err)
		}
		if q {
			n += int(tag.RowsAffected())
		}
	}
	if err := br.Close(); err != nil {
		return 0, fmt.Errorf("alert: enqueue article %d: %w", articleID, err)
	}
	return n, nil
}

func channels(sub subscriptionRow) []string {
	var out []string
	if sub.hasEmail {
		out = append(out, ChannelEmail)
	}
	if sub.hasWebhook {
		out = append(out, ChannelWebhook)
	}
	return out
}

// matches decides whether an article is for a subscription, and returns
// the score that decided it: the best score among the subscribed topics, or
// the article's overall score when the subscription takes every topic.
func matches(sub subscriptionRow, relevant bool, score float64, topics []string, topicScores map[string]float64, outlet, lang string) (float64, bool) {
	if len(sub.outlets) > 0 && !containsFold(sub.outlets, outlet) {
		return score, false
	}
	if len(sub.languages) > 0 && !containsFold(sub.languages, lang) {
		return score, false
	}
	eff := score
	if len(sub.topics) > 0 {
		overlap := false
		best := -1.0
		for _, t := range sub.topics {
			if slices.Contains(topics, t) {
				overlap = true
			}
			if s, ok := topicScores[t]; ok && s > best && slices.Contains(topics, t) {
				best = s
			}
		}
		if !overlap {
			return score, false
		}
		if best >= 0 {
			eff = best
		}
	}
	return eff, relevant && eff >= sub.minScore-1e-9
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
