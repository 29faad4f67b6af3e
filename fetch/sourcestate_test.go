package fetch

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

func TestJudgeSource(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	lim := StateLimits{StaleAfter: 7 * 24 * time.Hour, StaleGapFactor: 10, RuleMissLimit: 5}
	at := func(ago ...time.Duration) []model.Item {
		var out []model.Item
		for i, d := range ago {
			p := now.Add(-d)
			out = append(out, model.Item{URL: fmt.Sprintf("https://example.cn/%d", i), Published: &p})
		}
		return out
	}
	day := 24 * time.Hour
	old := now.Add(-300 * day)
	cases := []struct {
		name  string
		in    StateInput
		known bool
		state SourceState
	}{
		{"fresh", StateInput{Items: at(time.Hour, 5*time.Hour, 9*time.Hour)}, true, StateOK},
		{"300 days old", StateInput{Items: at(300*day, 301*day, 302*day)}, true, StateStale},
		{"12 days, daily source", StateInput{Items: at(12*day, 13*day, 14*day)}, true, StateStale},
		{"8 days, daily source (stale after 10 × 1 day)", StateInput{Items: at(8*day, 9*day, 10*day)}, true, StateOK},
		// A monthly bulletin: 40 days since the last issue is its rhythm,
		// not staleness (10 × 30-day gap = 300 days).
		{"monthly source 40 days", StateInput{Items: at(40*day, 70*day, 100*day, 130*day)}, true, StateOK},
		{"304 keeps the known newest", StateInput{NotModified: true, Newest: &old}, true, StateStale},
		{"304 with nothing known", StateInput{NotModified: true}, true, StateOK},
		{"undated items", StateInput{Items: []model.Item{{URL: "https://example.cn/a"}}}, true, StateOK},
		{"empty feed", StateInput{}, true, StateBroken},
		{"listing matches nothing", StateInput{Err: fmt.Errorf("x: %w", ErrListingEmpty)}, true, StateBroken},
		{"challenge", StateInput{Err: &PageError{Class: ErrChallenge, Status: 412}}, true, StateChallenge},
		{"blocked", StateInput{Err: &PageError{Class: ErrBlocked, Status: 403}}, true, StateBlocked},
		{"timeout says nothing", StateInput{Err: fmt.Errorf("x: %w", ErrTimeout)}, false, ""},
		{"5xx says nothing", StateInput{Err: &StatusError{Status: 502}}, false, ""},
		{"rule misses", StateInput{Items: at(time.Hour), RuleMisses: 5}, true, StateBroken},
		{"rule misses below the limit", StateInput{Items: at(time.Hour), RuleMisses: 4}, true, StateOK},
	}
	for _, tc := range cases {
		v := JudgeSource(tc.in, lim, now)
		if v.Known != tc.known || (tc.known && v.State != tc.state) {
			t.Errorf("%s: got known=%v %q (%s), want known=%v %q", tc.name, v.Known, v.State, v.Reason, tc.known, tc.state)
		}
		if v.State != StateOK && v.Known && v.Reason == "" {
			t.Errorf("%s: no reason given", tc.name)
		}
	}
	// The newest date and the usual gap carry over for the next poll.
	v := JudgeSource(StateInput{Items: at(2*time.Hour, 4*time.Hour, 6*time.Hour, 8*time.Hour)}, lim, now)
	if v.Newest == nil || !v.Newest.Equal(now.Add(-2*time.Hour)) || v.Gap != 2*time.Hour {
		t.Errorf("newest %v gap %s", v.Newest, v.Gap)
	}
	if !errors.Is(fmt.Errorf("w: %w", &PageError{Class: ErrChallenge}), ErrChallenge) {
		t.Error("PageError does not unwrap to its class")
	}
}
