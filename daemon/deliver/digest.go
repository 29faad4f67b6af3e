package deliver

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// scheduleDigests opens the digest of every digest subscriber whose period
// has closed. The unique key makes this idempotent across replicas. Only the
// latest period is opened after downtime; it takes every row still waiting,
// so nothing is lost.
func (s *Service) scheduleDigests(ctx context.Context, subs map[int64]*recipient) error {
	now := s.now()
	for _, sub := range subs {
		if sub.cadence.Mode == model.ModeImmediate || sub.Address(model.ChannelEmail) == "" {
			continue
		}
		end := alert.LastBoundary(sub.cadence, now)
		if end.Before(sub.createdAt) {
			continue // no period has closed since the subscriber was added
		}
		if err := s.st.OpenDigest(ctx, sub.SubscriberID, alert.PrevBoundary(sub.cadence, end), end); err != nil {
			return err
		}
	}
	return nil
}

// deliverDigest attaches, renders, sends and records one digest. It reports
// whether a message left.
func (s *Service) deliverDigest(ctx context.Context, c model.ClaimedDigest, sub *recipient) bool {
	log := s.log.With("digest_id", c.ID, "subscriber_id", c.SubscriberID, "attempt", c.Attempts)
	o := store.Outcome{ID: c.ID, At: s.now(), Next: s.now()}
	if sub == nil || sub.Address(model.ChannelEmail) == "" {
		o.Status, o.Reason = model.StatusFailed, "subscriber disabled or without email"
		s.record(ctx, log, s.st.RecordDigest, o)
		return false
	}
	log = log.With("subscriber", sub.Name)
	refs, err := s.st.AttachToDigest(ctx, c.ID, sub.SubscriberID, c.End)
	var d alert.Digest
	if err == nil {
		d, err = s.digest(ctx, refs, sub)
	}
	if err != nil {
		log.Warn("digest not built; will retry", "error", err)
		o.Status, o.Reason, o.Next = model.StatusPending, err.Error(), s.now().Add(s.backoff(c.Attempts))
		s.record(ctx, log, s.st.RecordDigest, o)
		return false
	}
	d.PeriodStart, d.PeriodEnd, d.Burst = c.Start, c.End, c.Burst
	if len(d.Items) == 0 && (c.Burst || !s.cfg.SendEmptyDigests) {
		o.Status, o.Response = "empty", "nothing new"
		s.record(ctx, log, s.st.RecordDigest, o)
		log.Debug("empty digest not sent")
		return false
	}
	start := time.Now()
	var r alert.Result
	if msg, err := s.email.RenderDigest(d); err == nil {
		r = s.email.SendDigest(ctx, sub.Recipient, msg, c.ID, s.now(), s.beforeSend("digest", c.ID))
	} else {
		r = alert.Result{Permanent: true, Reason: err.Error()}
	}
	s.m.duration.WithLabelValues("digest").Observe(time.Since(start).Seconds())
	if r.CloseErr != nil {
		log.Warn("the server accepted the message; closing the connection failed", "message_id", r.MessageID, "error", r.CloseErr)
	}
	o.Reason, o.Response, o.MessageID, o.Items = r.Reason, r.Response, r.MessageID, len(d.Items)
	switch {
	case r.Sent:
		log.Info("digest sent", "items", len(d.Items), "deliveries", len(refs), "message_id", r.MessageID)
		o.Status = model.StatusSent
		s.m.deliveries.WithLabelValues("digest", "sent").Inc()
	case r.Permanent || c.Attempts >= s.cfg.MaxAttempts:
		log.Error("digest failed", "error", r.Reason, "permanent", r.Permanent)
		o.Status = model.StatusFailed
		s.m.deliveries.WithLabelValues("digest", "failed").Inc()
	default:
		wait := s.backoff(c.Attempts)
		log.Warn("digest will be retried", "error", r.Reason, "retry_in", wait)
		o.Status, o.Next = model.StatusPending, s.now().Add(wait)
		s.m.deliveries.WithLabelValues("digest", "retry").Inc()
	}
	s.record(ctx, log, s.st.RecordDigest, o)
	return r.Sent
}

// newDigest is an empty digest for sub with the configured budget.
func (s *Service) newDigest(sub *recipient) alert.Digest {
	return alert.Digest{Subscriber: sub.Name, Location: sub.cadence.Location,
		MaxHTML: s.cfg.DigestMaxHTML, FullPerTopic: s.cfg.DigestFullPerTopic, TopicOrder: s.opts.TopicOrder}
}

// digest builds a digest's content from its delivery rows: one item per
// article (alert.DigestEntries).
func (s *Service) digest(ctx context.Context, refs []model.DeliveryRef, sub *recipient) (alert.Digest, error) {
	d := s.newDigest(sub)
	entries := alert.DigestEntries(refs)
	if len(entries) == 0 {
		return d, nil
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ArticleID
	}
	arts, err := s.st.StoredArticles(ctx, ids)
	if err != nil {
		return d, fmt.Errorf("load digest of %s: %w", sub.Name, err)
	}
	for _, e := range entries {
		a, ok := arts[e.ArticleID]
		if !ok {
			continue
		}
		it := alert.NewItem(a, s.opts.TopicLabels)
		it.DeliveryID, it.Event = e.ID, e.Event
		d.Items = append(d.Items, it)
	}
	// One item per story, naming the other outlets that carried it.
	d.Items = alert.FoldStories(d.Items)
	return d, nil
}

// subscriberByName returns the enabled subscriber called name; when it is
// configured but not synced yet (the daemon has not run), a recipient from
// the configuration with ID 0.
func (s *Service) subscriberByName(ctx context.Context, name string) (*recipient, bool, error) {
	subs, err := s.readRecipients(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, sub := range subs {
		if sub.Name == name {
			return sub, true, nil
		}
	}
	for _, c := range s.cfg.Subscribers {
		if c.Name == name {
			cad, _ := config.ParseCadence(c.Cadence)
			return &recipient{Recipient: alert.Recipient{Name: c.Name, Addresses: c.Addresses(), Location: cad.Location}, cadence: cad}, false, nil
		}
	}
	return nil, false, fmt.Errorf("%w %q", ErrUnknownSubscriber, name)
}

// PreviewDigest renders the digest the subscriber would get now (the email
// rows waiting for them) without recording anything.
func (s *Service) PreviewDigest(ctx context.Context, name string) (alert.Rendered, int, error) {
	sub, synced, err := s.subscriberByName(ctx, name)
	if err != nil {
		return alert.Rendered{}, 0, err
	}
	now := s.now()
	d := s.newDigest(sub)
	if synced {
		refs, err := s.st.WaitingEmail(ctx, sub.SubscriberID, now)
		if err == nil {
			d, err = s.digest(ctx, refs, sub)
		}
		if err != nil {
			return alert.Rendered{}, 0, fmt.Errorf("deliver: preview digest of %s: %w", name, err)
		}
		if last, err := s.st.LastDigestEnd(ctx, sub.SubscriberID); err == nil && last != nil {
			d.PeriodStart = *last
		}
	}
	d.PeriodEnd = now
	r, err := alert.RenderDigest(d)
	return r, len(d.Items), err
}

// WriteEML writes a rendered message for the subscriber as the mail server
// would receive it (the Message-ID says "preview").
func (s *Service) WriteEML(ctx context.Context, w io.Writer, name string, r alert.Rendered) error {
	sub, _, err := s.subscriberByName(ctx, name)
	if err != nil {
		return err
	}
	return alert.WriteEML(w, s.cfg.SMTP, sub.Address(model.ChannelEmail), r, s.now())
}

// SendDigestNow sends the subscriber a digest of everything waiting for
// them, now, and returns how many articles it held. It is recorded as a
// digest with period_start = period_end = now; the next scheduled digest
// takes what arrives after it. With nothing waiting and SendEmptyDigests
// off, nothing is sent.
func (s *Service) SendDigestNow(ctx context.Context, name string) (int, error) {
	if s.email == nil {
		return 0, alert.ErrNoSMTP
	}
	sub, synced, err := s.subscriberByName(ctx, name)
	if err == nil && !synced {
		err = fmt.Errorf("%w %q", ErrUnknownSubscriber, name)
	}
	if err != nil {
		return 0, err
	}
	if sub.Address(model.ChannelEmail) == "" {
		return 0, fmt.Errorf("deliver: subscriber %s has no email address", name)
	}
	c, n, err := s.st.OpenDigestNow(ctx, sub.SubscriberID, s.claim())
	if err != nil {
		return 0, err
	}
	if last, err := s.st.LastDigestEnd(ctx, sub.SubscriberID); err == nil && last != nil {
		c.Start = *last
	}
	if s.deliverDigest(ctx, c, sub) {
		return n, nil
	}
	status, reason, err := s.st.DigestStatus(ctx, c.ID)
	switch {
	case err != nil:
		return 0, fmt.Errorf("deliver: digest for %s not sent: %w", name, err)
	case status == "empty":
		return 0, nil
	case reason != "":
		status += ": " + reason
	}
	return 0, fmt.Errorf("deliver: digest for %s not sent (%s)", name, status)
}

// ConfiguredSubscriber returns the subscriber named name in cfg, or an
// error wrapping ErrUnknownSubscriber that says it is not configured.
func ConfiguredSubscriber(cfg config.Alert, name string) (config.Subscriber, error) {
	for _, s := range cfg.Subscribers {
		if s.Name == name {
			return s, nil
		}
	}
	return config.Subscriber{}, fmt.Errorf("%w %q: it is not in alert.subscribers of this configuration", ErrUnknownSubscriber, name)
}
