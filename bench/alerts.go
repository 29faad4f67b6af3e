package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
)

// smtpSink is an in-process SMTP server that notes when each message was
// accepted, by the delivery id in its Message-ID.
type smtpSink struct {
	srv  *smtp.Server
	addr string

	mu       sync.Mutex
	accepted map[int64]time.Time
	messages int
}

var messageID = regexp.MustCompile(`(?i)^message-id:\s*<?wirewatch\.[a-z]+\.(\d+)@`)

func startSMTP() (*smtpSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtpSink{addr: l.Addr().String(), accepted: map[int64]time.Time{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	s.srv.Domain = "bench.localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *smtpSink) close() { _ = s.srv.Close() }

// acceptedAt returns when the message of a delivery was accepted.
func (s *smtpSink) acceptedAt(delivery int64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.accepted[delivery]
	return t, ok
}

type sinkSession struct{ s *smtpSink }

func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }
func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	now := time.Now()
	id := int64(-1)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" && id >= 0 {
			break // end of the header
		}
		if m := messageID.FindStringSubmatch(line); m != nil {
			id, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	_, _ = io.Copy(io.Discard, r)
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.messages++
	if id >= 0 {
		if _, dup := ss.s.accepted[id]; !dup {
			ss.s.accepted[id] = now
		}
	}
	return nil
}

// latencies are the delays from an item appearing in its feed to each
// stage, over the items that appeared while watching.
type latencies struct {
	Items, Relevant        int
	Discovered, Stored     []time.Duration // → article row; → fetched and classified
	Delivery, SMTP         []time.Duration // → delivery row; → message accepted
	Undelivered, NotStored int
}

// watchAlerts lets the farm publish for o.watch, waits a poll interval more
// for the last items, and measures each stage's delay for the items that
// appeared while watching. An item's appearance time is its pubDate in the
// farm's feed, which the farm sets to the moment the item appears, truncated
// to the second (so the delays are overstated by up to 1 s). The article's
// own published_at is not used: page metadata may have replaced it with a
// coarser date.
func watchAlerts(ctx context.Context, o options, f *farm, db *pgx.Conn, sink *smtpSink, exited <-chan error, log *slog.Logger) (latencies, error) {
	var lat latencies
	var from time.Time
	if err := db.QueryRow(ctx, `SELECT now()`).Scan(&from); err != nil {
		return lat, err
	}
	until := from.Add(o.watch)
	log.Info("watching new items", "for", o.watch.String(), "then_grace", (o.interval + 30*time.Second).String())
	select {
	case <-ctx.Done():
		return lat, ctx.Err()
	case err := <-exited:
		return lat, fmt.Errorf("wirewatch exited while watching: %v", err)
	case <-time.After(time.Until(until) + o.interval + 30*time.Second):
	}
	appeared, err := f.pubDates(ctx, o.feeds)
	if err != nil {
		return lat, err
	}
	rows, err := db.Query(ctx, `
SELECT a.canonical_url, a.first_seen_at, a.last_checked_at, a.fetch_state = 'fetched' AND a.classifier_version IS NOT NULL,
       coalesce(a.relevant, false), d.id, d.created_at
FROM articles a
LEFT JOIN deliveries d ON d.article_id = a.id AND d.event = 'new' AND d.mode = 'immediate'
WHERE a.first_seen_at >= $1`, from.Add(-o.interval))
	if err != nil {
		return lat, err
	}
	defer rows.Close()
	for rows.Next() {
		var url string
		var seen time.Time
		var checked, created *time.Time
		var stored, relevant bool
		var delivery *int64
		if err := rows.Scan(&url, &seen, &checked, &stored, &relevant, &delivery, &created); err != nil {
			return lat, err
		}
		pub, ok := appeared[url]
		if !ok || pub.Before(from) || !pub.Before(until) {
			continue // appeared before or after the watch
		}
		lat.Items++
		lat.Discovered = append(lat.Discovered, seen.Sub(pub))
		if !stored || checked == nil {
			lat.NotStored++
			continue
		}
		lat.Stored = append(lat.Stored, checked.Sub(pub))
		if !relevant {
			continue
		}
		lat.Relevant++
		if delivery == nil {
			lat.Undelivered++
			continue
		}
		lat.Delivery = append(lat.Delivery, created.Sub(pub))
		if t, ok := sink.acceptedAt(*delivery); ok {
			lat.SMTP = append(lat.SMTP, t.Sub(pub))
		}
	}
	return lat, rows.Err()
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(k, 0), len(s)-1)]
}

func fmtLatency(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n/a"
	}
	return strings.Join([]string{secs(percentile(ds, 50)), secs(percentile(ds, 95))}, " / ")
}

var feedItem = regexp.MustCompile(`(?s)<item>.*?<link>([^<]+)</link>.*?<pubDate>([^<]+)</pubDate>`)

// pubDates reads every farm feed and returns each item's pubDate by link.
func (f *farm) pubDates(ctx context.Context, feeds int) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for i := range feeds {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/feeds/%d.xml", f.base, i), nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("read farm feed %d: %w", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read farm feed %d: %w", i, err)
		}
		for _, m := range feedItem.FindAllSubmatch(body, -1) {
			t, err := time.Parse(time.RFC1123Z, string(m[2]))
			if err != nil {
				return nil, fmt.Errorf("farm feed %d: pubDate %q: %w", i, m[2], err)
			}
			out[string(m[1])] = t
		}
	}
	return out, nil
}
