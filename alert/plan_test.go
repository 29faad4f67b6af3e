package alert

import (
	"reflect"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// The outbox rules, decided on plain values: no database.
func TestPlan(t *testing.T) {
	relevant := model.Decision{ArticleID: 7, Relevant: true, Score: 0.7, Topics: []string{"data-security"},
		TopicScores: map[string]float64{"data-security": 0.9, "sanctions": 0.2}, Outlet: "Xinhua", Language: "en"}
	irrelevant := relevant
	irrelevant.Relevant, irrelevant.Topics = false, nil
	refused := relevant
	refused.Refused = true
	seen := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	old, fresh := relevant, relevant
	old.PublishedAt, old.FirstSeenAt = seen.Add(-49*time.Hour), seen
	fresh.PublishedAt, fresh.FirstSeenAt = seen.Add(-47*time.Hour), seen
	both := model.Subscription{SubscriberID: 1, Channels: []string{model.ChannelEmail, model.ChannelWebhook}, Cadence: "daily"}
	imm := model.Subscription{SubscriberID: 2, Channels: []string{model.ChannelEmail}, Cadence: model.ModeImmediate}
	row := func(sub int64, ch, event, status string) model.DeliveryState {
		return model.DeliveryState{SubscriberID: sub, Channel: ch, Event: event, Status: status}
	}
	queue := func(sub int64, ch, mode, event string, score float64) model.PlannedDelivery {
		return model.PlannedDelivery{Action: model.QueueDelivery, SubscriberID: sub, Channel: ch, Mode: mode, Event: event, Score: score}
	}
	for _, tc := range []struct {
		name     string
		decision model.Decision
		subs     []model.Subscription
		existing []model.DeliveryState
		change   Change
		want     []model.PlannedDelivery
	}{
		{"new relevant article: email takes the cadence, webhook is immediate", relevant, []model.Subscription{both}, nil, Change{},
			[]model.PlannedDelivery{queue(1, model.ChannelEmail, model.ModeDigest, model.EventNew, 0.7), queue(1, model.ChannelWebhook, model.ModeImmediate, model.EventNew, 0.7)}},
		{"not relevant: nothing", irrelevant, []model.Subscription{imm}, nil, Change{}, nil},
		{"already relevant and unedited: nothing again", relevant, []model.Subscription{imm}, nil, Change{WasRelevant: true}, nil},
		{"a topic filter scores by the best subscribed topic", relevant,
			[]model.Subscription{{SubscriberID: 3, Channels: []string{model.ChannelEmail}, Cadence: model.ModeImmediate, Topics: []string{"data-security", "sanctions"}, MinScore: 0.8}},
			nil, Change{}, []model.PlannedDelivery{queue(3, model.ChannelEmail, model.ModeImmediate, model.EventNew, 0.9)}},
		{"below min_score", relevant, []model.Subscription{{SubscriberID: 3, Channels: []string{model.ChannelEmail}, MinScore: 0.75}}, nil, Change{}, nil},
		{"no topic in common", relevant, []model.Subscription{{SubscriberID: 3, Channels: []string{model.ChannelEmail}, Topics: []string{"sanctions"}}}, nil, Change{}, nil},
		{"outlet and language filters ignore case", relevant,
			[]model.Subscription{{SubscriberID: 4, Channels: []string{model.ChannelWebhook}, Outlets: []string{"xinhua"}, Languages: []string{"EN"}}, {SubscriberID: 5, Channels: []string{model.ChannelWebhook}, Languages: []string{"zh"}}},
			nil, Change{}, []model.PlannedDelivery{queue(4, model.ChannelWebhook, model.ModeImmediate, model.EventNew, 0.7)}},
		{"a second subscription of one subscriber adds nothing", relevant, []model.Subscription{imm, imm}, nil, Change{},
			[]model.PlannedDelivery{queue(2, model.ChannelEmail, model.ModeImmediate, model.EventNew, 0.7)}},
		{"edited after it was sent: changed", relevant, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusSent)},
			Change{WasRelevant: true, Edited: true}, []model.PlannedDelivery{queue(2, model.ChannelEmail, model.ModeImmediate, model.EventChanged, 0.7)}},
		{"no longer relevant after it was sent: changed", irrelevant, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusSent)},
			Change{WasRelevant: true}, []model.PlannedDelivery{queue(2, model.ChannelEmail, model.ModeImmediate, model.EventChanged, 0.7)}},
		{"no longer relevant while waiting: cancelled", irrelevant, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusPending)},
			Change{WasRelevant: true}, []model.PlannedDelivery{{Action: model.CancelDelivery, SubscriberID: 2, Channel: model.ChannelEmail, Mode: model.ModeImmediate, Event: model.EventNew, Score: 0.7, Reason: "no longer relevant to the subscriber"}}},
		{"waiting in a digest: kept", irrelevant, []model.Subscription{imm}, []model.DeliveryState{{SubscriberID: 2, Channel: model.ChannelEmail, Event: model.EventNew, Status: model.StatusPending, InDigest: true}},
			Change{WasRelevant: true}, nil},
		{"relevant again after a cancel: revived", relevant, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusCancelled)},
			Change{}, []model.PlannedDelivery{{Action: model.ReviveDelivery, SubscriberID: 2, Channel: model.ChannelEmail, Mode: model.ModeImmediate, Event: model.EventNew, Score: 0.7}}},
		{"removed after it was sent: removed", relevant, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusSent)},
			Change{WasRelevant: true, Removed: true}, []model.PlannedDelivery{queue(2, model.ChannelEmail, model.ModeImmediate, model.EventRemoved, 0.7)}},
		{"removed before it was sent: cancelled", relevant, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusPending)},
			Change{WasRelevant: true, Removed: true}, []model.PlannedDelivery{{Action: model.CancelDelivery, SubscriberID: 2, Channel: model.ChannelEmail, Mode: model.ModeImmediate, Event: model.EventNew, Score: 0.7, Reason: "removed by the outlet before it was sent"}}},
		{"removed, never alerted: nothing", relevant, []model.Subscription{imm}, nil, Change{WasRelevant: true, Removed: true}, nil},
		{"refused fetch: never alerted", refused, []model.Subscription{both, imm}, nil, Change{}, nil},
		{"refused while waiting: cancelled", refused, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusPending)},
			Change{WasRelevant: true}, []model.PlannedDelivery{{Action: model.CancelDelivery, SubscriberID: 2, Channel: model.ChannelEmail, Mode: model.ModeImmediate, Event: model.EventNew, Score: 0.7, Reason: "no longer relevant to the subscriber"}}},
		{"first seen 49h after publication: held back", old, []model.Subscription{imm}, nil, Change{Backfill: 48 * time.Hour}, nil},
		{"held back, edited later: still held back", old, []model.Subscription{imm}, nil, Change{WasRelevant: true, Edited: true, Backfill: 48 * time.Hour}, nil},
		{"first seen 47h after publication: alerted", fresh, []model.Subscription{imm}, nil, Change{Backfill: 48 * time.Hour},
			[]model.PlannedDelivery{queue(2, model.ChannelEmail, model.ModeImmediate, model.EventNew, 0.7)}},
		{"replay: the held-back article is alerted", old, []model.Subscription{imm}, nil, Change{WasRelevant: true, Replay: true},
			[]model.PlannedDelivery{queue(2, model.ChannelEmail, model.ModeImmediate, model.EventNew, 0.7)}},
		{"replay: an article already sent is not sent again", old, []model.Subscription{imm}, []model.DeliveryState{row(2, model.ChannelEmail, model.EventNew, model.StatusSent)},
			Change{WasRelevant: true, Replay: true}, nil},
		{"replay: a refused article stays unsent", refused, []model.Subscription{imm}, nil, Change{WasRelevant: true, Replay: true}, nil},
	} {
		got := Plan(model.OutboxInput{Decision: tc.decision, Subscriptions: tc.subs, Existing: tc.existing}, tc.change)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// A digest shows each article once, under its strongest event, in the
// order the articles first appear.
func TestDigestEntries(t *testing.T) {
	refs := []model.DeliveryRef{
		{ID: 1, ArticleID: 10, Event: model.EventRemoved},
		{ID: 2, ArticleID: 11, Event: model.EventChanged},
		{ID: 3, ArticleID: 10, Event: model.EventNew},
		{ID: 4, ArticleID: 11, Event: model.EventRemoved},
	}
	want := []model.DeliveryRef{{ID: 3, ArticleID: 10, Event: model.EventNew}, {ID: 2, ArticleID: 11, Event: model.EventChanged}}
	if got := DigestEntries(refs); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
