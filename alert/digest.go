package alert

import (
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// LastBoundary returns the latest digest time of c at or before now, in
// c's zone (daily at 08:00 Europe/London: today's 08:00 London time if it
// has passed, else yesterday's). Immediate cadences have no boundary: it
// returns the zero time.
func LastBoundary(c config.Cadence, now time.Time) time.Time {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	l := now.In(loc)
	switch c.Mode {
	case "daily":
		b := time.Date(l.Year(), l.Month(), l.Day(), c.Hour, c.Minute, 0, 0, loc)
		if b.After(now) {
			b = time.Date(l.Year(), l.Month(), l.Day()-1, c.Hour, c.Minute, 0, 0, loc)
		}
		return b
	case "weekly":
		back := (int(l.Weekday()) - int(c.Weekday) + 7) % 7
		b := time.Date(l.Year(), l.Month(), l.Day()-back, c.Hour, c.Minute, 0, 0, loc)
		if b.After(now) {
			b = time.Date(l.Year(), l.Month(), l.Day()-back-7, c.Hour, c.Minute, 0, 0, loc)
		}
		return b
	}
	return time.Time{}
}

// PrevBoundary returns the digest time before boundary b (one day or week
// earlier on the wall clock, so DST changes keep the local time).
func PrevBoundary(c config.Cadence, b time.Time) time.Time {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	l := b.In(loc)
	days := 1
	if c.Mode == "weekly" {
		days = 7
	}
	return time.Date(l.Year(), l.Month(), l.Day()-days, c.Hour, c.Minute, 0, 0, loc)
}

// DigestEntries picks one delivery per article from a digest's rows, in
// the order the articles first appear: a 'new' event wins over 'changed'
// over 'removed'.
func DigestEntries(refs []model.DeliveryRef) []model.DeliveryRef {
	rank := map[string]int{model.EventNew: 3, model.EventChanged: 2, model.EventRemoved: 1}
	pos := map[int64]int{}
	var out []model.DeliveryRef
	for _, r := range refs {
		i, ok := pos[r.ArticleID]
		switch {
		case !ok:
			pos[r.ArticleID] = len(out)
			out = append(out, r)
		case rank[r.Event] > rank[out[i].Event]:
			out[i] = r
		}
	}
	return out
}
