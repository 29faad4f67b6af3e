package config

import (
	"fmt"
	"strings"
	"time"
)

// Cadence says when a subscriber hears of new articles.
type Cadence struct {
	// Mode is "immediate", "daily" or "weekly".
	Mode string
	// Hour and Minute are the local time of a digest.
	Hour, Minute int
	// Weekday is the day of a weekly digest.
	Weekday time.Weekday
	// Location is the digest's time zone.
	Location *time.Location
	// Spec is the text it was parsed from.
	Spec string
}

// ParseCadence reads "immediate" (or ""), "daily at 08:00 Europe/London" or
// "weekly on Monday at 07:00 Asia/Singapore". The zone defaults to UTC.
func ParseCadence(spec string) (Cadence, error) {
	s := strings.Join(strings.Fields(spec), " ")
	c := Cadence{Mode: "immediate", Location: time.UTC, Spec: s}
	if s == "" || strings.EqualFold(s, "immediate") {
		c.Spec = "immediate"
		return c, nil
	}
	words := strings.Split(s, " ")
	bad := fmt.Errorf(`want "immediate", "daily at HH:MM [Zone]" or "weekly on Weekday at HH:MM [Zone]", got %q`, spec)
	switch strings.ToLower(words[0]) {
	case "daily":
		c.Mode = "daily"
		words = words[1:]
	case "weekly":
		c.Mode = "weekly"
		if len(words) < 3 || !strings.EqualFold(words[1], "on") {
			return c, bad
		}
		wd, ok := weekdays[strings.ToLower(words[2])]
		if !ok {
			return c, fmt.Errorf("unknown weekday %q in %q", words[2], spec)
		}
		c.Weekday = wd
		words = words[3:]
	default:
		return c, bad
	}
	if len(words) < 2 || !strings.EqualFold(words[0], "at") {
		return c, bad
	}
	t, err := time.Parse("15:04", words[1])
	if err != nil {
		return c, fmt.Errorf("want a time as HH:MM in %q", spec)
	}
	c.Hour, c.Minute = t.Hour(), t.Minute()
	if len(words) > 3 {
		return c, bad
	}
	if len(words) == 3 {
		loc, err := time.LoadLocation(words[2])
		if err != nil {
			return c, fmt.Errorf("unknown time zone %q in %q (want an IANA name such as Europe/London)", words[2], spec)
		}
		c.Location = loc
	}
	return c, nil
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}
