package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/config"
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

const qOpenDigest = `
INSERT INTO digests (subscriber_id, period_start, period_end, next_attempt_at)
VALUES ($1, $2, $3, $3)
ON CONFLICT (subscriber_id, period_start) DO NOTHING`

// scheduleDigests opens the digest of every digest subscriber whose period
// has closed. The unique key makes this idempotent across replicas. Only the
// latest period is opened after downtime; it takes every row still waiting,
// so nothing is lost.
func (s *Service) scheduleDigests(ctx context.Context, subs map[int64]*subscriber) error {
	now := s.now()
	for _, sub := range subs {
		if sub.Cadence.Mode == ModeImmediate || sub.Email == "" {
			continue
		}
		end := LastBoundary(sub.Cadence, now)
		if end.Before(sub.CreatedAt) {
			continue // no period has closed since the subscriber was added
		}
		start := PrevBoundary(sub.Cadence, end)
		if _, err := s.pool.Exec(ctx, qOpenDigest, sub.ID, start, end); err != nil {
			return fmt.Errorf("alert: open digest for %s: %w", sub.Name, err)
		}
	}
	return nil
}

// claimedDigest is one digest this Service holds.
type claimedDigest struct {
	id, subscriberID int64
	start, end       time.Time
	attempts         int
}

const qClaimDigests = `
UPDATE digests g SET status = 'sending', lease_until = now() + $2 * interval '1 millisecond', lease_owner = $3, attempts = g.attempts + 1
WHERE g.id IN (
    SELECT id FROM digests
    WHERE status = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
RETURNING g.id, g.subscriber_id, g.period_start, g.period_end, g.attempts`

func (s *Service) sendDigests(ctx context.Context, subs map[int64]*subscriber) (int, error) {
	if s.mail == nil {
		return 0, nil
	}
	total := 0
	for round := 0; round < maxClaimRounds && ctx.Err() == nil; round++ {
		rows, err := s.pool.Query(ctx, qClaimDigests, s.now(), s.leaseMillis(), s.owner, s.opts.Workers)
		if err != nil {
			return total, fmt.Errorf("alert: claim digests: %w", err)
		}
		claims, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimedDigest, error) {
			var c claimedDigest
			err := r.Scan(&c.id, &c.subscriberID, &c.start, &c.end, &c.attempts)
			return c, err
		})
		if err != nil {
			return total, fmt.Errorf("alert: claim digests: %w", err)
		}
		if len(claims) == 0 {
			break
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, c := range claims {
			wg.Go(func() {
				if s.deliverDigest(ctx, c, subs[c.subscriberID]) {
					mu.Lock()
					total++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	return total, nil
}

// qAttach gives a digest the digest-mode rows of its subscriber that were
// created before its end. It is idempotent: after a crash the same digest
// keeps the rows it had and takes any it had not.
const qAttach = `
UPDATE deliveries SET digest_id = $1, updated_at = now()
WHERE subscriber_id = $2 AND channel = 'email' AND mode = 'digest'
  AND status = 'pending' AND digest_id IS NULL AND created_at < $3`

const qAttached = `
SELECT id, article_id, event FROM deliveries
WHERE digest_id = $1 AND status = 'pending'
ORDER BY id`

// qDigestDone and qDigestRetry record a digest's outcome if this Service
// still holds it, and return how many digests they updated (0: the lease
// was lost).
const qDigestDone = `
WITH g AS (
    UPDATE digests SET status = $3, sent_at = CASE WHEN $3 = 'sent' THEN $4::timestamptz END,
           item_count = $5, message_id = $6, last_response = $7, error = NULL,
           lease_until = NULL, lease_owner = NULL
    WHERE id = $1 AND lease_owner = $2 AND status = 'sending'
    RETURNING id),
d AS (
    UPDATE deliveries SET status = 'sent', sent_at = $4, message_id = $6, last_response = $7,
           error = NULL, updated_at = now()
    WHERE digest_id = (SELECT id FROM g) AND status = 'pending')
SELECT count(*) FROM g`

const qDigestRetry = `
WITH g AS (
    UPDATE digests SET status = $3, next_attempt_at = $4, error = $5, last_response = $6,
           message_id = $7, lease_until = NULL, lease_owner = NULL
    WHERE id = $1 AND lease_owner = $2 AND status = 'sending'
    RETURNING id, status),
d AS (
    UPDATE deliveries SET status = 'failed', error = $5, last_response = $6, updated_at = now()
    WHERE digest_id = (SELECT id FROM g WHERE status = 'failed') AND status = 'pending')
SELECT count(*) FROM g`

// deliverDigest attaches, renders, sends and records one digest. It reports
// whether a message left.
func (s *Service) deliverDigest(ctx context.Context, c claimedDigest, sub *subscriber) bool {
	fctx, cancel := finishCtx(ctx)
	defer cancel()
	log := s.log.With("digest_id", c.id, "subscriber_id", c.subscriberID, "attempt", c.attempts)
	if sub == nil || sub.Email == "" {
		s.recordDigest(fctx, log, false, qDigestRetry, c.id, s.owner, StatusFailed, s.now(), "subscriber disabled or without email", "", nil)
		return false
	}
	log = log.With("subscriber", sub.Name)
	d, ids, err := s.buildDigest(ctx, c, sub)
	if err != nil {
		log.Warn("digest not built; will retry", "error", err)
		s.recordDigest(fctx, log, false, qDigestRetry, c.id, s.owner, StatusPending, s.now().Add(s.backoff(c.attempts)), err.Error(), "", nil)
		return false
	}
	if len(d.Items) == 0 && !s.cfg.SendEmptyDigests {
		s.recordDigest(fctx, log, false, qDigestDone, c.id, s.owner, "empty", s.now(), 0, nil, "nothing new")
		log.Debug("empty digest not sent")
		return false
	}
	start := time.Now()
	r, err := s.render.RenderDigest(d)
	id := s.mail.messageID("digest", c.id)
	var o outcome
	if err == nil {
		o = s.sendMail(ctx, sub, r, id, "digest", c.id)
	} else {
		o = outcome{permanent: true, reason: err.Error()}
	}
	s.m.duration.WithLabelValues("digest").Observe(time.Since(start).Seconds())
	switch {
	case o.sent:
		log.Info("digest sent", "items", len(d.Items), "deliveries", len(ids), "message_id", id)
		s.recordDigest(fctx, log, true, qDigestDone, c.id, s.owner, StatusSent, s.now(), len(d.Items), id, o.response)
		s.m.deliveries.WithLabelValues("digest", "sent").Inc()
	case o.permanent || c.attempts >= s.cfg.MaxAttempts:
		log.Error("digest failed", "error", o.reason, "permanent", o.permanent)
		s.recordDigest(fctx, log, false, qDigestRetry, c.id, s.owner, StatusFailed, s.now(), o.reason, o.response, id)
		s.m.deliveries.WithLabelValues("digest", "failed").Inc()
	default:
		wait := s.backoff(c.attempts)
		log.Warn("digest will be retried", "error", o.reason, "retry_in", wait)
		s.recordDigest(fctx, log, false, qDigestRetry, c.id, s.owner, StatusPending, s.now().Add(wait), o.reason, o.response, id)
		s.m.deliveries.WithLabelValues("digest", "retry").Inc()
	}
	return o.sent
}

// recordDigest runs qDigestDone or qDigestRetry and logs when the outcome
// could not be recorded: a database error, or the lease was lost.
func (s *Service) recordDigest(ctx context.Context, log *slog.Logger, sent bool, q string, args ...any) {
	var n int
	if err := s.pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		log.Error("recording digest outcome failed; the lease will expire and it may be sent again", "error", err)
		return
	}
	if n == 0 {
		s.lostLease(log, sent)
	}
}

// sendMail builds and sends one rendered message.
func (s *Service) sendMail(ctx context.Context, sub *subscriber, r Rendered, messageID, kind string, id int64) outcome {
	msg, err := s.mail.build(sub.Email, r.Subject, r, messageID, s.now())
	if err != nil {
		return outcome{permanent: true, reason: fmt.Sprintf("build message for %s: %v", sub.Name, err), messageID: messageID}
	}
	if s.opts.BeforeSend != nil {
		s.opts.BeforeSend(kind, id)
	}
	resp, closeErr, err := s.mail.send(ctx, msg)
	if closeErr != nil {
		s.log.Warn("the server accepted the message; closing the connection failed", "subscriber", sub.Name, "message_id", messageID, "error", closeErr)
	}
	if err != nil {
		perm, reason := smtpOutcome(err)
		return outcome{permanent: perm, reason: reason, response: resp, messageID: messageID}
	}
	return outcome{sent: true, response: resp, messageID: messageID}
}

// buildDigest attaches the waiting rows and loads their items.
func (s *Service) buildDigest(ctx context.Context, c claimedDigest, sub *subscriber) (Digest, []int64, error) {
	if _, err := s.pool.Exec(ctx, qAttach, c.id, sub.ID, c.end); err != nil {
		return Digest{}, nil, fmt.Errorf("attach deliveries to digest of %s: %w", sub.Name, err)
	}
	rows, err := s.pool.Query(ctx, qAttached, c.id)
	if err != nil {
		return Digest{}, nil, fmt.Errorf("load digest of %s: %w", sub.Name, err)
	}
	d, ids, err := s.collectItems(ctx, rows, sub)
	if err != nil {
		return Digest{}, nil, err
	}
	d.PeriodStart, d.PeriodEnd = c.start, c.end
	return d, ids, nil
}

// collectItems turns (delivery id, article id, event) rows into digest
// items, one per article: a 'new' event wins over 'changed' over 'removed'.
func (s *Service) collectItems(ctx context.Context, rows pgx.Rows, sub *subscriber) (Digest, []int64, error) {
	type ref struct {
		id, article int64
		event       string
	}
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ref, error) {
		var x ref
		err := r.Scan(&x.id, &x.article, &x.event)
		return x, err
	})
	if err != nil {
		return Digest{}, nil, fmt.Errorf("load digest of %s: %w", sub.Name, err)
	}
	rank := map[string]int{EventNew: 3, EventChanged: 2, EventRemoved: 1}
	best := map[int64]ref{}
	var ids, articles []int64
	for _, x := range refs {
		ids = append(ids, x.id)
		if b, ok := best[x.article]; !ok || rank[x.event] > rank[b.event] {
			if !ok {
				articles = append(articles, x.article)
			}
			best[x.article] = x
		}
	}
	d := Digest{Subscriber: sub.Name, Location: sub.Cadence.Location}
	if len(articles) == 0 {
		return d, ids, nil
	}
	items, err := loadItems(ctx, s.pool, articles, s.opts.TopicLabels)
	if err != nil {
		return Digest{}, nil, fmt.Errorf("load digest of %s: %w", sub.Name, err)
	}
	for _, a := range articles {
		it, ok := items[a]
		if !ok {
			continue
		}
		it.DeliveryID = best[a].id
		it.Event = best[a].event
		d.Items = append(d.Items, it)
	}
	return d, ids, nil
}

const qPreview = `
SELECT id, article_id, event FROM deliveries
WHERE subscriber_id = $1 AND channel = 'email' AND status = 'pending'
  AND digest_id IS NULL AND created_at < $2
ORDER BY id`

const qLastDigestEnd = `
SELECT max(period_end) FROM digests WHERE subscriber_id = $1 AND status = 'sent'`

func (s *Service) subscriberByName(ctx context.Context, name string) (*subscriber, error) {
	subs, err := loadSubscribers(ctx, s.pool, s.cfg.Subscribers)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		if sub.Name == name {
			return sub, nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownSubscriber, name)
}

// PreviewDigest renders the digest the subscriber would get now (the email
// rows waiting for them) without recording anything.
func (s *Service) PreviewDigest(ctx context.Context, name string) (Rendered, int, error) {
	sub, err := s.subscriberByName(ctx, name)
	if errors.Is(err, ErrUnknownSubscriber) {
		// Configured but not synced yet (the daemon has not run): nothing
		// can be waiting for it, so the preview is an empty digest.
		for _, c := range s.cfg.Subscribers {
			if c.Name == name {
				cad, _ := config.ParseCadence(c.Cadence)
				sub, err = &subscriber{Name: c.Name, Email: c.Email, Cadence: cad}, nil
			}
		}
	}
	if err != nil {
		return Rendered{}, 0, err
	}
	now := s.now()
	rows, err := s.pool.Query(ctx, qPreview, sub.ID, now)
	if err != nil {
		return Rendered{}, 0, fmt.Errorf("alert: preview digest of %s: %w", name, err)
	}
	d, _, err := s.collectItems(ctx, rows, sub)
	if err != nil {
		return Rendered{}, 0, fmt.Errorf("alert: preview digest of %s: %w", name, err)
	}
	var last *time.Time
	if err := s.pool.QueryRow(ctx, qLastDigestEnd, sub.ID).Scan(&last); err == nil && last != nil {
		d.PeriodStart = *last
	}
	d.PeriodEnd = now
	r, err := s.render.RenderDigest(d)
	return r, len(d.Items), err
}

// WriteEML writes a rendered message for the subscriber as the mail server
// would receive it (the Message-ID says "preview").
func (s *Service) WriteEML(ctx context.Context, w io.Writer, name string, r Rendered) error {
	sub, err := s.subscriberByName(ctx, name)
	if errors.Is(err, ErrUnknownSubscriber) {
		for _, c := range s.cfg.Subscribers {
			if c.Name == name {
				sub, err = &subscriber{Name: c.Name, Email: c.Email}, nil
			}
		}
	}
	if err != nil {
		return err
	}
	m := s.mail
	if m == nil {
		m, _ = newMailer(config.SMTP{URL: "smtp://localhost", From: s.cfg.SMTP.From})
	}
	to := sub.Email
	if to == "" {
		to = "undisclosed-recipients@localhost"
	}
	msg, err := m.build(to, r.Subject, r, m.messageID("preview", s.now().Unix()), s.now())
	if err != nil {
		return fmt.Errorf("alert: build message for %s: %w", name, err)
	}
	return writeEML(w, msg)
}

const qOpenManualDigest = `
INSERT INTO digests (subscriber_id, period_start, period_end, status, lease_until, lease_owner, attempts)
VALUES ($1, $2, $2, 'sending', now() + $3 * interval '1 millisecond', $4, 1)
RETURNING id`

// SendDigestNow sends the subscriber a digest of everything waiting for
// them, now, and returns how many articles it held. It is recorded as a
// digest with period_start = period_end = now; the next scheduled digest
// takes what arrives after it. With nothing waiting and SendEmptyDigests
// off, nothing is sent.
func (s *Service) SendDigestNow(ctx context.Context, name string) (int, error) {
	if s.mail == nil {
		return 0, ErrNoSMTP
	}
	sub, err := s.subscriberByName(ctx, name)
	if err != nil {
		return 0, err
	}
	if sub.Email == "" {
		return 0, fmt.Errorf("alert: subscriber %s has no email address", name)
	}
	now := s.now()
	var id int64
	if err := s.pool.QueryRow(ctx, qOpenManualDigest, sub.ID, now, s.leaseMillis(), s.owner).Scan(&id); err != nil {
		return 0, fmt.Errorf("alert: open digest for %s: %w", name, err)
	}
	// Digest-mode rows and, for immediate subscribers, unsent email rows.
	if _, err := s.pool.Exec(ctx, `
UPDATE deliveries SET digest_id = $1, mode = 'digest', updated_at = now()
WHERE subscriber_id = $2 AND channel = 'email' AND status = 'pending' AND digest_id IS NULL AND created_at <= $3`, id, sub.ID, now); err != nil {
		return 0, fmt.Errorf("alert: attach deliveries to digest of %s: %w", name, err)
	}
	c := claimedDigest{id: id, subscriberID: sub.ID, end: now, attempts: 1}
	var last *time.Time
	if err := s.pool.QueryRow(ctx, qLastDigestEnd, sub.ID).Scan(&last); err == nil && last != nil {
		c.start = *last
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT article_id) FROM deliveries WHERE digest_id = $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("alert: count digest of %s: %w", name, err)
	}
	if !s.deliverDigest(ctx, c, sub) {
		var status string
		var reason *string
		_ = s.pool.QueryRow(ctx, `SELECT status, error FROM digests WHERE id = $1`, id).Scan(&status, &reason)
		if status == "empty" {
			return 0, nil
		}
		msg := status
		if reason != nil {
			msg += ": " + *reason
		}
		return 0, fmt.Errorf("alert: digest for %s not sent (%s)", name, msg)
	}
	return n, nil
}

// DeliveryRow is one line of `wirewatch deliveries`.
type DeliveryRow struct {
	ID           int64
	Subscriber   string
	Channel      string
	Mode         string
	Event        string
	Status       string
	Attempts     int
	NextAttempt  time.Time
	SentAt       *time.Time
	Error        string
	LastResponse string
	ArticleID    int64
	Title        string
	DigestID     *int64
}

// ListDeliveries returns deliveries, newest first, optionally only those
// with status and of subscriber ("" for all).
func ListDeliveries(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, status, subscriber string, limit int) ([]DeliveryRow, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := q.Query(ctx, `
SELECT d.id, s.name, d.channel, d.mode, d.event, d.status, d.attempts, d.next_attempt_at, d.sent_at,
       coalesce(d.error, ''), coalesce(d.last_response, ''), a.id, a.title, d.digest_id
FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id JOIN articles a ON a.id = d.article_id
WHERE ($1 = '' OR d.status = $1) AND ($2 = '' OR s.name = $2)
ORDER BY d.id DESC LIMIT $3`, status, subscriber, limit)
	if err != nil {
		return nil, fmt.Errorf("alert: list deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeliveryRow, error) {
		var d DeliveryRow
		err := r.Scan(&d.ID, &d.Subscriber, &d.Channel, &d.Mode, &d.Event, &d.Status, &d.Attempts, &d.NextAttempt,
			&d.SentAt, &d.Error, &d.LastResponse, &d.ArticleID, &d.Title, &d.DigestID)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("alert: list deliveries: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}
