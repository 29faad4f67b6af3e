package fetch

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// SourceState is what an operator needs to know about a source: whether it
// still gives us news.
type SourceState string

// Source states. A state other than StateOK is reported once when it
// starts and once when it ends.
const (
	// StateOK: the source answers and lists recent items.
	StateOK SourceState = "ok"
	// StateStale: the source answers, but its newest item is older than
	// max(fetch.stale_after, fetch.stale_gap_factor × its usual gap).
	StateStale SourceState = "stale"
	// StateBroken: a listing matches no item, a feed is empty, or the site
	// rule's body selector yielded nothing for fetch.rule_miss_limit
	// articles in a row.
	StateBroken SourceState = "broken"
	// StateBlocked: the site refuses us (403, 451, a geo-block page).
	StateBlocked SourceState = "blocked"
	// StateChallenge: the site answers with an anti-bot challenge.
	StateChallenge SourceState = "challenge"
)

// SourceStates lists every state, for metrics.
var SourceStates = []SourceState{StateOK, StateStale, StateBroken, StateBlocked, StateChallenge}

// StateLimits are the thresholds of JudgeSource (fetch.stale_after,
// fetch.stale_gap_factor, fetch.rule_miss_limit).
type StateLimits struct {
	StaleAfter     time.Duration
	StaleGapFactor float64
	RuleMissLimit  int
}

// StateInput is what one poll of a source found, with what is known of
// its past.
type StateInput struct {
	// Err is the poll's error, if any.
	Err error
	// NotModified is a 304 answer.
	NotModified bool
	// Items are the items the poll listed.
	Items []model.Item
	// Newest and Gap are the newest item date and usual gap known before
	// this poll (nil and 0 when unknown).
	Newest *time.Time
	Gap    time.Duration
	// RuleMisses is how many articles in a row the site rule missed.
	RuleMisses int
}

// StateVerdict is JudgeSource's answer.
type StateVerdict struct {
	// Known is false when the poll says nothing about the state (a
	// timeout, a 5xx): the previous state stands.
	Known bool
	State SourceState
	// Reason says why, for operators.
	Reason string
	// Newest and Gap are the updated newest item date and usual gap.
	Newest *time.Time
	Gap    time.Duration
}

// ErrEmptySource is what a source that answered with no item gets.
var ErrEmptySource = errors.New("the source answered but lists no items")

// JudgeSource decides a source's state after a poll.
func JudgeSource(in StateInput, lim StateLimits, now time.Time) StateVerdict {
	v := StateVerdict{Newest: in.Newest, Gap: in.Gap}
	if in.Err == nil && !in.NotModified && len(in.Items) == 0 {
		in.Err = ErrEmptySource
	}
	if in.Err != nil {
		switch {
		case errors.Is(in.Err, ErrChallenge):
			v.Known, v.State, v.Reason = true, StateChallenge, in.Err.Error()
		case errors.Is(in.Err, ErrBlocked):
			v.Known, v.State, v.Reason = true, StateBlocked, in.Err.Error()
		case errors.Is(in.Err, ErrListingEmpty), errors.Is(in.Err, ErrEmptySource), errors.Is(in.Err, ErrNotFeed):
			v.Known, v.State, v.Reason = true, StateBroken, in.Err.Error()
		}
		return v
	}
	v.Known = true
	if newest, gap, ok := NewestAndGap(in.Items); ok {
		if v.Newest == nil || newest.After(*v.Newest) {
			v.Newest = &newest
		}
		if gap > 0 {
			v.Gap = gap
		}
	}
	if lim.RuleMissLimit > 0 && in.RuleMisses >= lim.RuleMissLimit {
		v.State = StateBroken
		v.Reason = fmt.Sprintf("the site rule's body selector yielded nothing for %d articles in a row", in.RuleMisses)
		return v
	}
	if v.Newest != nil {
		age := now.Sub(*v.Newest)
		if limit := StaleAge(lim, v.Gap); age > limit {
			v.State = StateStale
			v.Reason = fmt.Sprintf("the newest item is %s old (stale after %s)", roundAge(age), roundAge(limit))
			return v
		}
	}
	v.State = StateOK
	return v
}

// StaleAge is the item age beyond which a source with the given usual gap
// is stale: max(StaleAfter, StaleGapFactor × gap).
func StaleAge(lim StateLimits, gap time.Duration) time.Duration {
	return max(lim.StaleAfter, time.Duration(lim.StaleGapFactor*float64(gap)))
}

// NewestAndGap returns the newest item date and the median gap between
// consecutive dated items (0 with fewer than three dated items); ok is
// false when no item is dated.
func NewestAndGap(items []model.Item) (newest time.Time, gap time.Duration, ok bool) {
	var ts []time.Time
	for _, it := range items {
		if it.Published != nil && !it.Published.IsZero() {
			ts = append(ts, *it.Published)
		}
	}
	if len(ts) == 0 {
		return time.Time{}, 0, false
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	newest = ts[len(ts)-1]
	if len(ts) < 3 {
		return newest, 0, true
	}
	gaps := make([]time.Duration, 0, len(ts)-1)
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, ts[i].Sub(ts[i-1]))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return newest, gaps[len(gaps)/2], true
}

// roundAge prints a duration in days or hours.
func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}
