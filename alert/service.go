package alert

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/config"
)

// Defaults for Options.
const (
	DefaultLease    = 2 * time.Minute
	DefaultWorkers  = 4
	DefaultInterval = 2 * time.Second
)

// leaseMargin is what a lease holds beyond the longest send: loading and
// rendering before it, recording the outcome after it.
const leaseMargin = 10 * time.Second

// MinLease is the shortest lease NewService accepts for cfg: the longest
// one send can take (3×smtp.timeout with email on, webhook_timeout) plus a
// margin. A shorter lease could expire while the message is still on its
// way, and another replica would send it again.
func MinLease(cfg config.Alert) time.Duration {
	send := cfg.WebhookTimeout
	if cfg.SMTP.URL != "" {
		send = max(send, maxSMTPSend(cfg.SMTP.Timeout))
	}
	return send + leaseMargin
}

// maxClaimRounds bounds one pass, so RunOnce returns even when work keeps
// arriving.
const maxClaimRounds = 50

// Service claims due deliveries and digests and sends them. Several
// Services (in one process or many) may share a database.
type Service struct {
	cfg    config.Alert
	pool   *pgxpool.Pool
	log    *slog.Logger
	opts   Options
	owner  string // lease_owner: replica id plus a per-Service suffix
	mail   *mailer
	http   *http.Client
	render *renderer
	m      *metrics
}

// NewService checks the configuration and builds a Service. reg may be nil.
func NewService(cfg config.Alert, pool *pgxpool.Pool, logger *slog.Logger, reg prometheus.Registerer, opts Options) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("alert: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts.ReplicaID = cmp.Or(opts.ReplicaID, "alert")
	opts.Lease = cmp.Or(opts.Lease, DefaultLease)
	if minLease := MinLease(cfg); opts.Lease < minLease {
		logger.Warn("lease shorter than the longest send; using the minimum instead, so a slow send is not taken over and sent twice",
			"lease", opts.Lease.String(), "min_lease", minLease.String(), "smtp_timeout", cfg.SMTP.Timeout.String(), "webhook_timeout", cfg.WebhookTimeout.String())
		opts.Lease = minLease
	}
	opts.Workers = cmp.Or(opts.Workers, DefaultWorkers)
	opts.Interval = cmp.Or(opts.Interval, DefaultInterval)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m, err := newMailer(cfg.SMTP)
	if err != nil {
		return nil, err
	}
	if m == nil {
		for _, sub := range cfg.Subscribers {
			if sub.Email != "" {
				logger.Warn("email is off (alert.smtp.url is empty); email deliveries will wait", "subscriber", sub.Name)
			}
		}
	}
	var suffix [3]byte
	_, _ = crand.Read(suffix[:])
	return &Service{
		cfg:    cfg,
		pool:   pool,
		log:    logger,
		opts:   opts,
		owner:  opts.ReplicaID + "/" + hex.EncodeToString(suffix[:]),
		mail:   m,
		http:   noRedirects(opts.HTTPClient),
		render: newRenderer(),
		m:      newMetrics(reg),
	}, nil
}

// Run sends due work until ctx is done. A failing pass (the database is
// down) is logged and retried with backoff.
func (s *Service) Run(ctx context.Context) error {
	backoff := s.opts.Interval
	for {
		n, err := s.RunOnce(ctx)
		wait := s.opts.Interval
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.log.Warn("alert pass failed", "error", err, "retry_in", backoff)
			wait = backoff
			backoff = min(2*backoff, 30*time.Second)
		default:
			backoff = s.opts.Interval
			if n > 0 {
				wait = 0
			}
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}

// RunOnce makes one pass over due work: returns expired leases to pending,
// opens the digests whose period has closed, sends due immediate
// deliveries and due digests. It returns how many messages were sent.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	if err := s.reap(ctx); err != nil {
		return 0, err
	}
	subs, err := loadSubscribers(ctx, s.pool, s.cfg.Subscribers)
	if err != nil {
		return 0, err
	}
	if err := s.scheduleDigests(ctx, subs); err != nil {
		return 0, err
	}
	sent, err := s.sendImmediate(ctx, subs)
	if err != nil {
		return sent, err
	}
	n, err := s.sendDigests(ctx, subs)
	sent += n
	if err != nil {
		return sent, err
	}
	var pending int
	if err := s.pool.QueryRow(ctx, qPendingDeliveries).Scan(&pending); err == nil {
		s.m.pending.Set(float64(pending))
	}
	return sent, nil
}

// now is the application clock: digest periods, retry times and message
// dates. Leases use the database's clock (now() in SQL), which all replicas
// share, so a replica whose clock runs ahead does not take over live sends.
func (s *Service) now() time.Time { return s.opts.Now() }

// leaseMillis is the lease as the $n in "now() + $n * interval '1 millisecond'".
func (s *Service) leaseMillis() int64 { return s.opts.Lease.Milliseconds() }

// lostLease logs that an outcome could not be recorded because the row is
// no longer this Service's: its lease expired and another replica's reaper
// returned it to pending (or took it). When the message left, the other
// replica may send it again.
func (s *Service) lostLease(log *slog.Logger, sent bool) {
	s.m.leaseLost.Inc()
	if sent {
		log.Warn("lease lost, a duplicate is possible: the message left but the row was taken back after the lease expired", "lease", s.opts.Lease)
		return
	}
	log.Warn("lease lost: the outcome was not recorded; the row was taken back after the lease expired", "lease", s.opts.Lease)
}

// backoff is the delay before attempt+1: RetryBase doubling per attempt,
// capped at RetryMax, with ±20% jitter.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax)
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return max(j, time.Millisecond)
}

// finishCtx gives bookkeeping after a send its own deadline: a message that
// left must be recorded even when ctx is being cancelled for shutdown.
func finishCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
}

const qReapDeliveries = `
UPDATE deliveries SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END,
       error = CASE WHEN attempts >= $1 THEN 'lease expired on the last attempt' ELSE error END,
       last_response = 'lease of ' || coalesce(lease_owner, '?') || ' expired mid-send',
       lease_until = NULL, lease_owner = NULL, updated_at = now()
WHERE status = 'sending' AND lease_until < now()
RETURNING id, subscriber_id`

const qReapDigests = `
UPDATE digests SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END,
       last_response = 'lease of ' || coalesce(lease_owner, '?') || ' expired mid-send',
       lease_until = NULL, lease_owner = NULL
WHERE status = 'sending' AND lease_until < now()
RETURNING id, subscriber_id`

// reap returns deliveries and digests whose sender died (lease expired, by
// the database's clock) to pending; the message may have left, so it may be
// sent once more.
func (s *Service) reap(ctx context.Context) error {
	for _, q := range []struct{ sql, what string }{{qReapDeliveries, "delivery_id"}, {qReapDigests, "digest_id"}} {
		rows, err := s.pool.Query(ctx, q.sql, s.cfg.MaxAttempts)
		if err != nil {
			return fmt.Errorf("alert: reap expired leases: %w", err)
		}
		for rows.Next() {
			var id, sub int64
			if err := rows.Scan(&id, &sub); err == nil {
				s.log.Warn("lease expired mid-send; will send again", q.what, id, "subscriber_id", sub)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("alert: reap expired leases: %w", err)
		}
	}
	return nil
}

// claimed is one delivery this Service holds.
type claimed struct {
	id, subscriberID, articleID int64
	channel, event              string
	attempts                    int
}

// qPendingDeliveries counts what is waiting to go out. Two counts, each
// answered by its partial index (deliveries_due_idx, deliveries_sending_idx),
// so the cost follows the backlog, not the whole history of deliveries.
const qPendingDeliveries = `
SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending') +
       (SELECT count(*) FROM deliveries WHERE status = 'sending')`

const qClaimDeliveries = `
UPDATE deliveries d SET status = 'sending', lease_until = now() + $2 * interval '1 millisecond', lease_owner = $3,
       attempts = d.attempts + 1, updated_at = now()
WHERE d.id IN (
    SELECT id FROM deliveries
    WHERE status = 'pending' AND mode = 'immediate' AND next_attempt_at <= $1
      AND ($5 OR channel <> 'email')
    ORDER BY next_attempt_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.subscriber_id, d.article_id, d.channel, d.event, d.attempts`

func (s *Service) sendImmediate(ctx context.Context, subs map[int64]*subscriber) (int, error) {
	batch := s.opts.Workers
	total := 0
	for round := 0; round < maxClaimRounds && ctx.Err() == nil; round++ {
		rows, err := s.pool.Query(ctx, qClaimDeliveries, s.now(), s.leaseMillis(), s.owner, batch, s.mail != nil)
		if err != nil {
			return total, fmt.Errorf("alert: claim deliveries: %w", err)
		}
		claims, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimed, error) {
			var c claimed
			err := r.Scan(&c.id, &c.subscriberID, &c.articleID, &c.channel, &c.event, &c.attempts)
			return c, err
		})
		if err != nil {
			return total, fmt.Errorf("alert: claim deliveries: %w", err)
		}
		if len(claims) == 0 {
			break
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			sem  = make(chan struct{}, s.opts.Workers)
			sent int
		)
		for _, c := range claims {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if s.deliver(ctx, c, subs[c.subscriberID]) {
					mu.Lock()
					sent++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		total += sent
		if len(claims) < batch {
			break
		}
	}
	return total, nil
}

const qDeliverySent = `
UPDATE deliveries SET status = 'sent', sent_at = $3, lease_until = NULL, lease_owner = NULL,
       error = NULL, last_response = $4, message_id = $5, updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND status = 'sending'`

const qDeliveryRetry = `
UPDATE deliveries SET status = $3, next_attempt_at = $4, lease_until = NULL, lease_owner = NULL,
       error = $5, last_response = $6, message_id = coalesce($7, message_id), updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND status = 'sending'`

// outcome is what became of one attempt.
type outcome struct {
	sent       bool
	permanent  bool   // failed for good (5xx, 410, bad address)
	cancelled  bool   // nothing to send any more
	reason     string // error text
	response   string // far end's reply
	retryAfter time.Duration
	messageID  string
}

// deliver sends one claimed delivery and records the outcome. It reports
// whether a message left.
func (s *Service) deliver(ctx context.Context, c claimed, sub *subscriber) bool {
	start := time.Now()
	var o outcome
	if sub == nil {
		o = outcome{cancelled: true, reason: "subscriber disabled"}
	} else {
		o = s.attempt(ctx, c, sub)
	}
	if !o.cancelled {
		s.m.duration.WithLabelValues(c.channel).Observe(time.Since(start).Seconds())
	}
	name := ""
	if sub != nil {
		name = sub.Name
	}
	log := s.log.With("subscriber", name, "delivery_id", c.id, "article_id", c.articleID, "channel", c.channel, "event", c.event, "attempt", c.attempts)
	fctx, cancel := finishCtx(ctx)
	defer cancel()
	var err error
	var msgID *string
	if o.messageID != "" {
		msgID = &o.messageID
	}
	var (
		label string
		tag   pgconn.CommandTag
	)
	switch {
	case o.sent:
		label = "sent"
		tag, err = s.pool.Exec(fctx, qDeliverySent, c.id, s.owner, s.now(), o.response, o.messageID)
		log.Info("delivery sent", "message_id", o.messageID)
	case o.cancelled:
		label = "cancelled"
		tag, err = s.pool.Exec(fctx, qDeliveryRetry, c.id, s.owner, StatusCancelled, s.now(), o.reason, o.response, msgID)
		log.Info("delivery cancelled", "reason", o.reason)
	case o.permanent || c.attempts >= s.cfg.MaxAttempts:
		label = "failed"
		tag, err = s.pool.Exec(fctx, qDeliveryRetry, c.id, s.owner, StatusFailed, s.now(), o.reason, o.response, msgID)
		log.Error("delivery failed", "error", o.reason, "permanent", o.permanent)
	default:
		label = "retry"
		wait := max(s.backoff(c.attempts), o.retryAfter)
		tag, err = s.pool.Exec(fctx, qDeliveryRetry, c.id, s.owner, StatusPending, s.now().Add(wait), o.reason, o.response, msgID)
		log.Warn("delivery will be retried", "error", o.reason, "retry_in", wait)
	}
	s.m.deliveries.WithLabelValues(c.channel, label).Inc()
	switch {
	case err != nil:
		log.Error("recording delivery outcome failed; the lease will expire and it may be sent again", "error", err)
	case tag.RowsAffected() == 0:
		s.lostLease(log, o.sent)
	}
	return o.sent
}

// attempt renders and sends one delivery.
func (s *Service) attempt(ctx context.Context, c claimed, sub *subscriber) outcome {
	items, err := loadItems(ctx, s.pool, []int64{c.articleID}, s.opts.TopicLabels)
	if err != nil {
		return outcome{reason: err.Error()}
	}
	it, ok := items[c.articleID]
	if !ok {
		return outcome{cancelled: true, reason: "article deleted"}
	}
	it.DeliveryID = c.id
	it.Event = c.event
	switch c.channel {
	case ChannelEmail:
		return s.attemptEmail(ctx, c, sub, it)
	case ChannelWebhook:
		return s.attemptWebhook(ctx, c, sub, it)
	}
	return outcome{permanent: true, reason: "unknown channel " + c.channel}
}

func (s *Service) attemptEmail(ctx context.Context, c claimed, sub *subscriber, it Item) outcome {
	if sub.Email == "" {
		return outcome{cancelled: true, reason: "subscriber has no email address"}
	}
	if s.mail == nil {
		return outcome{reason: ErrNoSMTP.Error()}
	}
	r, err := s.render.RenderAlert(sub.Name, sub.Cadence.Location, it)
	if err != nil {
		return outcome{permanent: true, reason: err.Error()}
	}
	id := s.mail.messageID("delivery", c.id)
	msg, err := s.mail.build(sub.Email, r.Subject, r, id, s.now())
	if err != nil {
		return outcome{permanent: true, reason: fmt.Sprintf("build message for %s: %v", sub.Name, err), messageID: id}
	}
	if s.opts.BeforeSend != nil {
		s.opts.BeforeSend("delivery", c.id)
	}
	resp, closeErr, err := s.mail.send(ctx, msg)
	if closeErr != nil {
		s.log.Warn("the server accepted the message; closing the connection failed", "subscriber", sub.Name, "message_id", id, "error", closeErr)
	}
	if err != nil {
		perm, reason := smtpOutcome(err)
		return outcome{permanent: perm, reason: reason, response: resp, messageID: id}
	}
	return outcome{sent: true, response: resp, messageID: id}
}

const qDisableWebhook = `
WITH d AS (
    UPDATE subscribers SET webhook_disabled_at = $2, webhook_disabled_reason = $3, updated_at = now()
    WHERE id = $1 RETURNING id)
UPDATE deliveries SET status = 'cancelled', error = 'webhook endpoint disabled: ' || $3, updated_at = now()
WHERE subscriber_id = (SELECT id FROM d) AND channel = 'webhook' AND status = 'pending'`

func (s *Service) attemptWebhook(ctx context.Context, c claimed, sub *subscriber, it Item) outcome {
	if sub.Webhook == "" {
		return outcome{cancelled: true, reason: "subscriber has no webhook"}
	}
	if sub.Disabled {
		return outcome{cancelled: true, reason: "webhook endpoint disabled after 410 Gone"}
	}
	id := webhookID(c.id)
	now := s.now()
	body, err := json.Marshal(WebhookPayload{
		ID: id, Type: "article." + c.event, Timestamp: now.UTC(), Subscriber: sub.Name,
		Article: it, Text: slackText(it),
	})
	if err != nil {
		return outcome{permanent: true, reason: err.Error(), messageID: id}
	}
	if s.opts.BeforeSend != nil {
		s.opts.BeforeSend("delivery", c.id)
	}
	res, err := postWebhook(ctx, s.http, s.cfg.WebhookTimeout, sub.Webhook, sub.Secret, id, now, body)
	switch {
	case err != nil:
		return outcome{reason: fmt.Sprintf("webhook for %s: %v", sub.Name, err), messageID: id}
	case res.status >= 200 && res.status < 300:
		return outcome{sent: true, response: res.response, messageID: id}
	case res.status == http.StatusGone:
		reason := "410 Gone from " + config.RedactURL(sub.Webhook)
		fctx, cancel := finishCtx(ctx)
		defer cancel()
		if _, err := s.pool.Exec(fctx, qDisableWebhook, sub.ID, s.now(), reason); err != nil {
			s.log.Error("disabling webhook failed", "subscriber", sub.Name, "error", err)
		}
		s.log.Error("webhook endpoint disabled", "subscriber", sub.Name, "reason", reason)
		return outcome{permanent: true, reason: reason, response: res.response, messageID: id}
	default:
		return outcome{reason: fmt.Sprintf("webhook for %s: HTTP %d", sub.Name, res.status), response: res.response, retryAfter: res.retryAfter, messageID: id}
	}
}
