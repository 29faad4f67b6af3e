// Package dates parses the publication times found in feeds and article
// pages: RFC 1123/822 and RFC 3339/ISO 8601 variants, Chinese layouts such as
// "2025年03月04日 10:00" or "发布时间：2025-03-04 10:00", and English ones
// such as "March 4, 2025". Times without a zone are read in the location the
// caller gives, which for Chinese outlets is Beijing time.
package dates

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrNoDate is returned when no date can be found in the input.
var ErrNoDate = errors.New("dates: no date found")

// Beijing returns the Asia/Shanghai location, or a fixed +08:00 zone named
// "CST" when the system has no time zone database (e.g. a scratch image).
func Beijing() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

var (
	minPlausible = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	// maxFuture allows for clock skew and for outlets that date articles
	// with tomorrow's print edition.
	maxFuture = 48 * time.Hour
)

// Plausible reports whether t can be a publication time seen at now: not
// before 1990 and not more than 48 hours in the future.
func Plausible(t, now time.Time) bool {
	return !t.Before(minPlausible) && !t.After(now.Add(maxFuture))
}

// layouts are tried on the whole (normalised) string before the patterns.
var layouts = []string{
	time.RFC3339Nano,
	time.RFC3339,
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04 MST",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	time.RFC822Z,
	time.RFC822,
	time.RFC850,
	time.ANSIC,
	time.UnixDate,
	time.RubyDate,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04:05Z07:00",
}

var (
	// numeric matches year-month-day with -, /, . or 年月日 separators and an
	// optional time, seconds, fraction and zone.
	reNumeric = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?:\s*日)?` +
		`(?:(?:\s*T\s*|\s+|\s*日?\s*)(\d{1,2})\s*[:时点]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?)?(?:\s*秒)?)?` +
		`(?:\s*(Z|[+-]\d{2}:?\d{2}|(?i:(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d{2})?|[A-Z]{2,5}\b)))?`)
	monthNames = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`
	timeTail   = `(?:,?\s+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?(?:\s*(Z|[+-]\d{2}:?\d{2}|(?:GMT|UTC)(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?|[A-Z]{2,5}\b))?`
	// reMonthFirst matches "March 4, 2025", "Mar. 4th 2025 10:00 AM".
	reMonthFirst = regexp.MustCompile(`(?i)\b` + monthNames + `\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})` + timeTail)
	// reDayFirst matches "4 March 2025", "04 Mar 2025 10:00".
	reDayFirst = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+` + monthNames + `,?\s+(\d{4})` + timeTail)
	reSpaces   = regexp.MustCompile(`\s+`)
)

// Parse reads a date from s. layout, when not empty, is a Go time layout
// tried first (a site's own format); otherwise, or when it fails, the
// built-in layouts and patterns are tried, and a date is also found inside
// surrounding text ("发布时间：2025-03-04 10:00 来源：新华网"). Times without a
// zone are in loc (UTC when nil). "CST" means China Standard Time (+08:00)
// when loc is Beijing time, and US Central time otherwise.
func Parse(s, layout string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	orig := s
	s = normalize(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("dates: parse %q: %w", orig, ErrNoDate)
	}
	if layout != "" {
		if t, err := parseLayout(layout, s, loc); err == nil {
			return t, nil
		}
	}
	for _, l := range layouts {
		if t, err := parseLayout(l, s, loc); err == nil {
			return t, nil
		}
	}
	if t, ok := parseNumeric(s, loc); ok {
		return t, nil
	}
	if t, ok := parseEnglish(s, loc); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("dates: parse %q: %w", orig, ErrNoDate)
}

// normalize folds full-width characters and spaces.
func normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '：':
			return ':'
		case r == '／':
			return '/'
		case r == '－' || r == '—' || r == '–':
			return '-'
		case r == '\u00a0' || r == '\u3000':
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(reSpaces.ReplaceAllString(s, " "))
}

// parseLayout parses with a Go layout, in loc when the value has no zone,
// and with known zone abbreviations turned into offsets first (Go otherwise
// invents a zero-offset zone for an abbreviation it does not know).
func parseLayout(layout, s string, loc *time.Location) (time.Time, error) {
	if strings.Contains(layout, "MST") {
		if i := strings.LastIndexByte(s, ' '); i >= 0 {
			if off, ok := zoneOffset(s[i+1:], loc); ok {
				layout = strings.Replace(layout, "MST", "-0700", 1)
				s = s[:i+1] + formatOffset(off)
			}
		}
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	return fmt.Sprintf("%c%02d%02d", sign, off/3600, off%3600/60)
}

// isBeijing reports whether loc keeps +08:00 (Asia/Shanghai and its aliases,
// or the fixed fallback).
func isBeijing(loc *time.Location) bool {
	_, off := time.Date(2025, 1, 1, 0, 0, 0, 0, loc).Zone()
	return off == 8*3600
}

// zoneOffset maps a zone token to seconds east of UTC.
// (Alike by design: one case per zone abbreviation.)
func zoneOffset(tok string, loc *time.Location) (int, bool) {
	tok = strings.TrimSpace(tok)
	u := strings.ToUpper(tok)
	switch u {
	case "Z", "UT", "UTC", "GMT":
		return 0, true
	case "CST":
		if isBeijing(loc) {
			return 8 * 3600, true
		}
		return -6 * 3600, true
	case "CDT":
		return -5 * 3600, true
	case "EST":
		return -5 * 3600, true
	case "EDT":
		return -4 * 3600, true
	case "MST":
		return -7 * 3600, true
	case "MDT":
		return -6 * 3600, true
	case "PST":
		return -8 * 3600, true
	case "PDT":
		return -7 * 3600, true
	case "BST", "CET":
		return 3600, true
	case "CEST", "EET":
		return 2 * 3600, true
	case "HKT", "SGT", "AWST", "BJT":
		return 8 * 3600, true
	case "JST", "KST":
		return 9 * 3600, true
	case "IST":
		return 5*3600 + 1800, true
	}
	for _, p := range []string{"GMT", "UTC"} {
		if rest, ok := strings.CutPrefix(u, p); ok {
			u = strings.TrimSpace(rest)
			break
		}
	}
	if len(u) < 2 || (u[0] != '+' && u[0] != '-') {
		return 0, false
	}
	sign := 1
	if u[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(strings.TrimSpace(u[1:]), ":", "")
	var h, m int
	var err error
	switch len(digits) {
	case 1, 2:
		h, err = strconv.Atoi(digits)
	case 3, 4:
		h, err = strconv.Atoi(digits[:len(digits)-2])
		if err == nil {
			m, err = strconv.Atoi(digits[len(digits)-2:])
		}
	default:
		return 0, false
	}
	if err != nil || h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

// build makes a time from matched parts, checking ranges (time.Date would
// normalise 2025-02-30 into March).
func build(year, month, day, hour, minute, sec int, zone string, loc *time.Location) (time.Time, bool) {
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	if off, ok := zoneOffset(zone, loc); zone != "" && ok {
		t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.FixedZone("", off))
		if t.Day() != day {
			return time.Time{}, false
		}
		// Keep the caller's location when it has the same offset at that
		// instant, so Beijing times stay in Asia/Shanghai.
		if _, o := t.In(loc).Zone(); o == off {
			return t.In(loc), true
		}
		if off == 0 {
			return t.UTC(), true
		}
		return t, true
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func parseNumeric(s string, loc *time.Location) (time.Time, bool) {
	for _, m := range reNumeric.FindAllStringSubmatch(s, 4) {
		zone := m[7]
		if zone != "" && !isZoneToken(zone, loc) {
			zone = ""
		}
		if t, ok := build(atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5]), atoi(m[6]), zone, loc); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func isZoneToken(tok string, loc *time.Location) bool {
	_, ok := zoneOffset(tok, loc)
	return ok
}

func monthNumber(name string) int {
	name = strings.ToLower(name)
	for i, p := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(name, p) {
			return i + 1
		}
	}
	return 0
}

func parseEnglish(s string, loc *time.Location) (time.Time, bool) {
	var year, month, day int
	var tail []string
	if m := reMonthFirst.FindStringSubmatch(s); m != nil {
		month, day, year = monthNumber(m[1]), atoi(m[2]), atoi(m[3])
		tail = m[4:]
	} else if m := reDayFirst.FindStringSubmatch(s); m != nil {
		day, month, year = atoi(m[1]), monthNumber(m[2]), atoi(m[3])
		tail = m[4:]
	} else {
		return time.Time{}, false
	}
	hour, minute, sec := atoi(tail[0]), atoi(tail[1]), atoi(tail[2])
	if ampm := strings.ToLower(strings.ReplaceAll(tail[3], ".", "")); ampm != "" {
		if hour < 1 || hour > 12 {
			return time.Time{}, false
		}
		if ampm == "pm" && hour != 12 {
			hour += 12
		} else if ampm == "am" && hour == 12 {
			hour = 0
		}
	}
	zone := tail[4]
	if zone != "" && !isZoneToken(zone, loc) {
		zone = ""
	}
	return build(year, month, day, hour, minute, sec, zone, loc)
}

// chineseSites are the registrable domains outside .cn whose pages give
// times in Beijing time without saying so.
var chineseSites = []string{"xinhuanet.com", "news.cn", "globaltimes.cn", "chinadaily.com.cn", "cgtn.com", "people.com.cn", "ecns.cn", "gmw.cn", "youth.cn", "banyuetan.org", "qq.com"}

// ChineseHost reports whether host belongs to a Chinese site (any .cn host,
// or a known state-media domain elsewhere), whose zone-less times are
// Beijing time.
func ChineseHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "cn" || strings.HasSuffix(h, ".cn") {
		return true
	}
	for _, s := range chineseSites {
		if h == s || strings.HasSuffix(h, "."+s) {
			return true
		}
	}
	return false
}
