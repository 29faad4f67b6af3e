// Package deliver is the daemon's last stage: it sends what the outbox
// holds. A Service claims due deliveries and digests from store with
// FOR UPDATE SKIP LOCKED and a lease, has package alert render them and
// send them on their channel (email, webhook, slack: alert.NewChannels),
// and records the outcome.
// Queue is the other end: it plans an article's deliveries (alert.Plan)
// and stores them in the caller's transaction. Digest-mode rows wait until
// the subscriber's period closes and are then attached to a digests row and
// sent as one message.
//
// Crash safety: a claimed row is 'sending' with lease_until (on the
// database's clock, shared by all replicas); a replica that dies mid-send
// leaves it there, and once the lease expires any replica puts it back to
// 'pending'. The lease is never shorter than the longest send, so a live
// send is not taken over; the outcome is recorded only while the row is
// still the sender's, and a lost lease is logged. So at most the message in
// flight is sent twice, and it carries the same Message-ID (or webhook-id)
// both times.
package deliver

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// ErrUnknownSubscriber means no enabled subscriber has the name asked for.
var ErrUnknownSubscriber = errors.New("deliver: unknown subscriber")

// Queue plans the deliveries of one article (alert.Plan) from what tx
// reads, and stores them in tx: they commit or roll back with the decision
// that caused them. It returns how many deliveries it queued.
func Queue(ctx context.Context, tx *store.Tx, articleID int64, change alert.Change) (int, error) {
	in, err := tx.OutboxInput(ctx, articleID)
	if err != nil {
		return 0, err
	}
	if len(in.Subscriptions) == 0 {
		return 0, nil
	}
	return tx.QueueDeliveries(ctx, articleID, alert.Plan(in, change))
}

// Options are the per-process settings of a Service.
type Options struct {
	// ReplicaID names this process in lease_owner columns and logs.
	// Default "alert".
	ReplicaID string
	// Lease is how long a claimed delivery or digest stays with this
	// replica without renewal, counted on the database's clock; the sender
	// renews it config.DefaultHeartbeatsPerLease times per Lease while it
	// sends, so a send may take longer. Default alert.lease.
	Lease time.Duration
	// Workers is how many messages are sent at once. Default
	// config.DefaultDeliveryWorkers.
	Workers int
	// Now returns the current time for digest periods, retry times and
	// message dates (tests move it to a digest boundary); leases use the
	// database's clock instead. Default time.Now.
	Now func() time.Time
	// HTTPClient posts webhooks. Its redirect policy is replaced (redirects
	// are never followed) and each request gets the configured timeout.
	// Default: a client with http.DefaultTransport.
	HTTPClient *http.Client
	// TopicLabels maps topic ids to the names shown in messages (from the
	// taxonomy). Default: the id, made readable.
	TopicLabels map[string]string
	// TopicOrder lists topic ids in taxonomy order: the order of a digest's
	// topic sections. Default: best-scoring topic first.
	TopicOrder []string
	// BeforeSend, when set, is called after a message is claimed and
	// rendered and before it is handed to the SMTP server or webhook. It is
	// a seam for crash tests.
	BeforeSend func(kind string, id int64)
}

// Service claims due deliveries and digests and sends them. Several
// Services (in one process or many) may share a database.
type Service struct {
	cfg      config.Alert
	st       *store.Store
	log      *slog.Logger
	opts     Options
	owner    string // lease_owner: replica id plus a per-Service suffix
	email    *alert.Email
	channels map[string]alert.Channel
	names    []string // of channels, for claims
	m        *metrics

	mu        sync.Mutex
	subs      map[int64]*recipient // as of the last Housekeep (or a miss)
	reclaimed bool                 // the first Housekeep took back an earlier run's leases
}

// NewService checks the configuration and builds a Service. reg may be nil.
func NewService(cfg config.Alert, st *store.Store, logger *slog.Logger, reg prometheus.Registerer, opts Options) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts.ReplicaID = cmp.Or(opts.ReplicaID, "alert")
	opts.Lease = cmp.Or(opts.Lease, cfg.Lease, config.DefaultAlertLease)
	opts.Workers = cmp.Or(opts.Workers, config.DefaultDeliveryWorkers)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	channels, err := alert.NewChannels(alert.Deps{Config: cfg, HTTPClient: opts.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	if err := alert.CheckAddresses(cfg.Subscribers, channels); err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	email, _ := channels[model.ChannelEmail].(*alert.Email)
	if email == nil {
		for _, sub := range cfg.Subscribers {
			if sub.Email != "" {
				logger.Warn("email is off (alert.smtp.url is empty); email deliveries will wait", "subscriber", sub.Name)
			}
		}
	}
	var suffix [3]byte
	_, _ = crand.Read(suffix[:])
	return &Service{
		cfg:      cfg,
		st:       st,
		log:      logger,
		opts:     opts,
		owner:    opts.ReplicaID + "/" + hex.EncodeToString(suffix[:]),
		email:    email,
		channels: channels,
		names:    slices.Sorted(maps.Keys(channels)),
		m:        newMetrics(reg, slices.Sorted(maps.Keys(channels))),
	}, nil
}

// Job sends one claimed message and records the outcome; it reports
// whether the message left.
type Job func(ctx context.Context) bool

// Housekeep returns expired leases to pending, reads the subscribers, opens
// the digests whose period has closed and updates the pending gauge. The
// delivery stage runs it before claiming, at most once per tick.
func (s *Service) Housekeep(ctx context.Context) error {
	if err := s.reclaim(ctx); err != nil {
		return err
	}
	if err := s.reap(ctx); err != nil {
		return err
	}
	subs, err := s.loadRecipients(ctx)
	if err != nil {
		return err
	}
	if err := s.scheduleDigests(ctx, subs); err != nil {
		return err
	}
	if pending, err := s.st.PendingDeliveries(ctx); err == nil {
		s.m.pending.Set(float64(pending))
	}
	return nil
}

// Claim leases up to n due messages, immediate deliveries first, then
// digests, and returns one Job per message.
func (s *Service) Claim(ctx context.Context, n int) ([]Job, error) {
	c := s.claim()
	c.Limit = n
	if s.email != nil {
		// A burst of immediate email alerts leaves as one message.
		folded, err := s.st.FoldBursts(ctx, s.cfg.Burst, s.cfg.BurstWindow)
		if err != nil {
			return nil, err
		}
		if folded > 0 {
			s.log.Info("burst of immediate alerts folded into one message", "deliveries", folded, "burst", s.cfg.Burst, "window", s.cfg.BurstWindow)
		}
	}
	deliveries, err := s.st.ClaimDueDeliveries(ctx, c, s.names)
	if err != nil {
		return nil, err
	}
	var digests []model.ClaimedDigest
	if c.Limit = n - len(deliveries); c.Limit > 0 && s.email != nil {
		if digests, err = s.st.ClaimDueDigests(ctx, c); err != nil {
			// The deliveries are claimed: send them; the digests wait.
			s.log.Warn("claiming digests failed", "error", err)
		}
	}
	type claimed struct {
		kind             string
		id, subscriberID int64
		send             func(context.Context, *recipient) bool
	}
	all := make([]claimed, 0, len(deliveries)+len(digests))
	for _, d := range deliveries {
		all = append(all, claimed{"delivery", d.ID, d.SubscriberID, func(ctx context.Context, r *recipient) bool { return s.deliver(ctx, d, r) }})
	}
	for _, g := range digests {
		all = append(all, claimed{"digest", g.ID, g.SubscriberID, func(ctx context.Context, r *recipient) bool { return s.deliverDigest(ctx, g, r) }})
	}
	jobs := make([]Job, 0, len(all))
	for _, c := range all {
		sub, err := s.recipient(ctx, c.subscriberID)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, func(ctx context.Context) bool {
			defer s.heartbeat(ctx, c.kind, c.id)()
			return c.send(ctx, sub)
		})
	}
	return jobs, nil
}

// RunOnce makes one pass over due work, as the daemon's delivery stage
// does: Housekeep, then claims of opts.Workers messages sent at once, until
// a claim finds fewer due (at most config.DefaultMaxClaimRounds claims, so a pass ends
// while work keeps arriving). It returns how many messages were sent.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	if err := s.Housekeep(ctx); err != nil {
		return 0, err
	}
	sent := 0
	for round := 0; round < config.DefaultMaxClaimRounds && ctx.Err() == nil; round++ {
		jobs, err := s.Claim(ctx, s.opts.Workers)
		if err != nil {
			return sent, err
		}
		sent += sendAll(jobs, func(j Job) bool { return j(ctx) })
		if len(jobs) < s.opts.Workers {
			break // nothing more was due when this claim ran
		}
	}
	return sent, nil
}

// now is the application clock: digest periods, retry times and message
// dates. Leases use the database's clock (now() in SQL), which all replicas
// share, so a replica whose clock runs ahead does not take over live sends.
func (s *Service) now() time.Time { return s.opts.Now() }

// claim is what this Service claims now.
func (s *Service) claim() store.Claim {
	return store.Claim{Now: s.now(), Owner: s.owner, Lease: s.opts.Lease, Limit: s.opts.Workers}
}

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

// record stores an outcome (with rec: RecordDelivery or RecordDigest) and
// logs when it could not be: a database error, or the lease was lost.
func (s *Service) record(ctx context.Context, log *slog.Logger, rec func(context.Context, store.Outcome) (bool, error), o store.Outcome) {
	ctx, cancel := finishCtx(ctx)
	defer cancel()
	o.Owner = s.owner
	held, err := rec(ctx, o)
	switch {
	case err != nil:
		log.Error("recording the outcome failed; the lease will expire and it may be sent again", "error", err)
	case !held:
		s.lostLease(log, o.Status == model.StatusSent)
	}
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
	return context.WithTimeout(context.WithoutCancel(ctx), config.DefaultRecordTimeout)
}

// reap returns deliveries and digests whose sender died (lease expired, by
// the database's clock) to pending; the message may have left, so it may be
// sent once more.
func (s *Service) reap(ctx context.Context) error {
	expired, err := s.st.ReapExpiredLeases(ctx, s.cfg.MaxAttempts)
	for _, e := range expired {
		s.m.leaseLost.Inc()
		s.log.Warn("lease expired mid-send (its sender stopped renewing it); will send again", e.Kind+"_id", e.ID, "subscriber_id", e.SubscriberID)
	}
	return err
}

// reclaim takes back, once per Service, what an earlier run of this
// replica was sending when it died: no need to wait for those leases.
func (s *Service) reclaim(ctx context.Context) error {
	s.mu.Lock()
	done := s.reclaimed
	s.mu.Unlock()
	if done {
		return nil
	}
	n, err := s.st.ReclaimOwnLeases(ctx, s.opts.ReplicaID, s.owner)
	if err != nil {
		return err
	}
	if n > 0 {
		s.m.leaseLost.Add(float64(n))
		s.log.Warn("took back messages an earlier run of this replica was sending when it stopped; they are sent again", "count", n, "replica", s.opts.ReplicaID)
	}
	s.mu.Lock()
	s.reclaimed = true
	s.mu.Unlock()
	return nil
}

// heartbeat renews the lease of the message being sent every
// Lease/config.DefaultHeartbeatsPerLease until the returned stop is called,
// so a send may outlast the lease while a dead sender's lease runs out
// quickly.
func (s *Service) heartbeat(ctx context.Context, kind string, id int64) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(s.opts.Lease/config.DefaultHeartbeatsPerLease, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			held, err := s.st.RenewLease(ctx, kind, id, s.owner, s.opts.Lease)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				s.log.Warn("could not renew the lease; will try again", kind+"_id", id, "error", err)
			case !held:
				return // recorded already, or taken back: record() says which
			}
		}
	}()
	return func() { cancel(); <-done }
}

// loadRecipients reads the enabled subscribers, with the cadence of their
// (first) subscription and the webhook secret from the configuration, and
// keeps them for Claim.
func (s *Service) loadRecipients(ctx context.Context) (map[int64]*recipient, error) {
	subs, err := s.readRecipients(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.subs = subs
	s.mu.Unlock()
	return subs, nil
}

// recipient returns the subscriber a claimed row is for; nil when it is not
// enabled. One not seen since the last Housekeep makes it read them again.
func (s *Service) recipient(ctx context.Context, id int64) (*recipient, error) {
	s.mu.Lock()
	sub, ok := s.subs[id]
	s.mu.Unlock()
	if ok {
		return sub, nil
	}
	subs, err := s.loadRecipients(ctx)
	if err != nil {
		return nil, err
	}
	return subs[id], nil
}

func (s *Service) readRecipients(ctx context.Context) (map[int64]*recipient, error) {
	rows, err := s.st.Subscribers(ctx)
	if err != nil {
		return nil, err
	}
	secrets := map[string]string{}
	for _, c := range s.cfg.Subscribers {
		secrets[c.Name] = c.WebhookSecret.Reveal()
	}
	out := make(map[int64]*recipient, len(rows))
	for _, r := range rows {
		c, err := config.ParseCadence(r.CadenceSpec)
		if err != nil {
			// A hand-edited row: treat as immediate rather than stop.
			c, _ = config.ParseCadence(model.ModeImmediate)
		}
		out[r.ID] = &recipient{
			Recipient: alert.Recipient{SubscriberID: r.ID, Name: r.Name, Addresses: r.Addresses,
				Secret: secrets[r.Name], Location: c.Location},
			disabled: r.Disabled, cadence: c, createdAt: r.CreatedAt,
		}
	}
	return out, nil
}

// recipient is a subscriber as sending needs it.
type recipient struct {
	alert.Recipient
	// disabled holds the channels turned off after a 410, with the reason.
	disabled  map[string]string
	cadence   config.Cadence
	createdAt time.Time
}

// sendAll runs send for every job at once (a claim holds at most
// opts.Workers) and counts the messages that left.
func sendAll[C any](claims []C, send func(C) bool) int {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent int
	)
	for _, c := range claims {
		wg.Go(func() {
			if send(c) {
				mu.Lock()
				sent++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return sent
}

// deliver sends one claimed delivery and records the outcome. It reports
// whether a message left.
func (s *Service) deliver(ctx context.Context, c model.ClaimedDelivery, sub *recipient) bool {
	start := time.Now()
	var r alert.Result
	name := "?"
	if sub == nil {
		r = alert.Result{Cancelled: true, Reason: "subscriber disabled"}
	} else {
		name = sub.Name
		r = s.attempt(ctx, c, sub)
		s.m.duration.WithLabelValues(c.Channel).Observe(time.Since(start).Seconds())
	}
	log := s.log.With("subscriber", name, "delivery_id", c.ID, "article_id", c.ArticleID, "channel", c.Channel, "event", c.Event, "attempt", c.Attempts)
	if r.CloseErr != nil {
		log.Warn("the server accepted the message; closing the connection failed", "message_id", r.MessageID, "error", r.CloseErr)
	}
	if r.Gone && sub != nil {
		fctx, cancel := finishCtx(ctx)
		if err := s.st.DisableChannel(fctx, sub.SubscriberID, c.Channel, s.now(), r.Reason); err != nil {
			log.Error("disabling the subscriber's address failed", "error", err)
		}
		cancel()
		log.Error("the subscriber's address on the channel is gone; disabled until the configuration changes it", "reason", r.Reason)
	}
	o := store.Outcome{ID: c.ID, At: s.now(), Next: s.now(), Reason: r.Reason, Response: r.Response, MessageID: r.MessageID}
	var label string
	switch {
	case r.Sent:
		label, o.Status = "sent", model.StatusSent
		log.Info("delivery sent", "message_id", r.MessageID)
	case r.Cancelled:
		label, o.Status = "cancelled", model.StatusCancelled
		log.Info("delivery cancelled", "reason", r.Reason)
	case r.Permanent || c.Attempts >= s.cfg.MaxAttempts:
		label, o.Status = "failed", model.StatusFailed
		log.Error("delivery failed", "error", r.Reason, "permanent", r.Permanent)
	default:
		label, o.Status = "retry", model.StatusPending
		wait := max(s.backoff(c.Attempts), r.RetryAfter)
		o.Next = s.now().Add(wait)
		log.Warn("delivery will be retried", "error", r.Reason, "retry_in", wait)
	}
	s.m.deliveries.WithLabelValues(c.Channel, label).Inc()
	s.record(ctx, log, s.st.RecordDelivery, o)
	return r.Sent
}

// attempt renders and sends one delivery on its channel.
func (s *Service) attempt(ctx context.Context, c model.ClaimedDelivery, sub *recipient) alert.Result {
	ch, ok := s.channels[c.Channel]
	switch {
	case c.Channel == model.ChannelEmail && !ok:
		return alert.Result{Reason: alert.ErrNoSMTP.Error()}
	case !ok:
		return alert.Result{Permanent: true, Reason: "unknown channel " + c.Channel}
	case sub.Address(c.Channel) == "":
		reason := "subscriber has no " + c.Channel + " address"
		if why, off := sub.disabled[c.Channel]; off {
			reason = c.Channel + " address disabled: " + why
		}
		return alert.Result{Cancelled: true, Reason: reason}
	}
	arts, err := s.st.StoredArticles(ctx, []int64{c.ArticleID})
	if err != nil {
		return alert.Result{Reason: err.Error()}
	}
	a, ok := arts[c.ArticleID]
	if !ok {
		return alert.Result{Cancelled: true, Reason: "article deleted"}
	}
	it := alert.NewItem(a, s.opts.TopicLabels)
	it.DeliveryID, it.Event = c.ID, c.Event
	return ch.Send(ctx, alert.Send{To: sub.Recipient, Item: it, DeliveryID: c.ID, Now: s.now(), BeforeSend: s.beforeSend("delivery", c.ID)})
}

// beforeSend is the crash-test seam for one message (nil when unset).
func (s *Service) beforeSend(kind string, id int64) func() {
	if s.opts.BeforeSend == nil {
		return nil
	}
	return func() { s.opts.BeforeSend(kind, id) }
}
