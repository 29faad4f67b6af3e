package alert

import (
	"slices"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// Change describes what the save that calls Plan did to an article.
type Change struct {
	// WasRelevant is the article's relevant flag before this save (false for
	// a new article).
	WasRelevant bool
	// Removed is set when the outlet removed the article now (404/410).
	Removed bool
	// Edited is set when this save stored a new revision of the text.
	Edited bool
	// Backfill holds back an article first seen more than this after its
	// publication (a source's first poll, or its return after an outage):
	// it is archived but not alerted. 0 holds nothing back (what
	// `wirewatch alert replay` uses to send such articles on purpose).
	Backfill time.Duration
	// Replay queues a 'new' row for each matching subscriber channel that
	// has none, and nothing else (`wirewatch alert replay`).
	Replay bool
}

// HeldBack reports whether an article is too old to alert when first seen:
// it was published more than backfill before wirewatch first listed it.
func HeldBack(d model.Decision, backfill time.Duration) bool {
	return backfill > 0 && !d.PublishedAt.IsZero() && d.FirstSeenAt.Sub(d.PublishedAt) > backfill
}

type deliveryKey struct {
	subscriberID int64
	channel      string
	event        string
}

// Plan decides the outbox changes for one article from its stored decision,
// the enabled subscriptions and the article's existing deliveries.
//
// For every subscription, on each of the subscriber's channels:
//   - the article matches (relevant, a topic in common or no topic filter,
//     score >= min_score, outlet and language filters) and no 'new' row
//     exists, and it was not relevant before or was edited: event 'new';
//     a 'new' row cancelled before it was sent (and not in a digest) is put
//     back to pending instead;
//   - a 'new' row was sent and the article was edited or its relevance
//     changed: event 'changed' (once per article and channel);
//   - change.Removed and a 'new' row was sent: event 'removed'; a 'new' row
//     not yet sent is cancelled instead;
//   - it no longer matches and a 'new' row is still waiting: cancelled.
//
// An article whose fetch was refused never matches, and one held back by
// change.Backfill (see HeldBack) gets no 'new' row.
//
// Email rows take the subscriber's cadence (immediate or digest); webhook
// rows are always immediate (one POST per article). A subscriber's second
// subscription adds nothing on a channel the first already planned.
func Plan(in model.OutboxInput, change Change) []model.PlannedDelivery {
	existing := make(map[deliveryKey]model.DeliveryState, len(in.Existing))
	for _, e := range in.Existing {
		existing[deliveryKey{e.SubscriberID, e.Channel, e.Event}] = e
	}
	d := in.Decision
	var out []model.PlannedDelivery
	seen := map[deliveryKey]bool{}
	held := HeldBack(d, change.Backfill)
	for _, sub := range in.Subscriptions {
		sc, match := Matches(sub, d)
		if held {
			match = false
		}
		for _, ch := range sub.Channels {
			key := deliveryKey{sub.SubscriberID, ch, model.EventNew}
			if seen[key] {
				continue
			}
			seen[key] = true
			p := model.PlannedDelivery{SubscriberID: sub.SubscriberID, Channel: ch, Mode: model.ModeImmediate, Score: sc}
			if ch == model.ChannelEmail && sub.Cadence != model.ModeImmediate {
				p.Mode = model.ModeDigest
			}
			queue := func(event string) {
				p.Action, p.Event = model.QueueDelivery, event
				out = append(out, p)
			}
			cancel := func(reason string) {
				p.Action, p.Event, p.Reason = model.CancelDelivery, model.EventNew, reason
				out = append(out, p)
			}
			row, hasNew := existing[key]
			if change.Replay {
				if match && !hasNew {
					queue(model.EventNew)
				}
				continue
			}
			sent := hasNew && row.Status == model.StatusSent
			fresh := !change.WasRelevant || change.Edited
			switch {
			case change.Removed:
				if sent {
					queue(model.EventRemoved)
				} else if hasNew {
					cancel("removed by the outlet before it was sent")
				}
			case match && !hasNew && fresh:
				queue(model.EventNew)
			case match && hasNew && row.Status == model.StatusCancelled && !row.InDigest && fresh:
				p.Action, p.Event = model.ReviveDelivery, model.EventNew
				out = append(out, p)
			case match && sent && fresh:
				queue(model.EventChanged)
			case !match && sent && change.WasRelevant && !d.Relevant:
				queue(model.EventChanged)
			case !match && hasNew && row.Status == model.StatusPending && !row.InDigest:
				cancel("no longer relevant to the subscriber")
			}
		}
	}
	return out
}

// Matches decides whether an article is for a subscription (never when its
// fetch was refused), and returns
// the score that decided it: the best score among the subscribed topics, or
// the article's overall score when the subscription takes every topic.
func Matches(sub model.Subscription, d model.Decision) (float64, bool) {
	if d.Refused {
		return d.Score, false
	}
	if len(sub.Outlets) > 0 && !containsFold(sub.Outlets, d.Outlet) {
		return d.Score, false
	}
	if len(sub.Languages) > 0 && !containsFold(sub.Languages, d.Language) {
		return d.Score, false
	}
	eff := d.Score
	if len(sub.Topics) > 0 {
		overlap := false
		best := -1.0
		for _, t := range sub.Topics {
			if !slices.Contains(d.Topics, t) {
				continue
			}
			overlap = true
			if s, ok := d.TopicScores[t]; ok && s > best {
				best = s
			}
		}
		if !overlap {
			return d.Score, false
		}
		if best >= 0 {
			eff = best
		}
	}
	return eff, d.Relevant && eff >= sub.MinScore-1e-9
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}
