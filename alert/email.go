package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// ErrNoSMTP means email is off (alert.smtp.url is empty).
var ErrNoSMTP = errors.New("alert: email is off (alert.smtp.url is empty)")

// Email is the email channel: immediate alerts and digests, one message
// per SMTP connection through the configured server. It is safe for
// concurrent use.
type Email struct {
	m      *mailer
	render *renderer
}

// NewEmail builds the email channel from the smtp section; nil (and no
// error) when email is off (smtp.url is empty).
func NewEmail(cfg config.SMTP) (*Email, error) {
	m, err := newMailer(cfg)
	if m == nil || err != nil {
		return nil, err
	}
	return &Email{m: m, render: newRenderer()}, nil
}

// newEmailChannel is NewEmail for NewChannels (a nil Channel when email
// is off).
func newEmailChannel(d Deps) (Channel, error) {
	e, err := NewEmail(d.Config.SMTP)
	if e == nil {
		return nil, err
	}
	return e, nil
}

// Name is "email".
func (e *Email) Name() string { return model.ChannelEmail }

// CheckAddress accepts one RFC 5322 address.
func (e *Email) CheckAddress(address string) error {
	if _, err := mail.ParseAddress(address); err != nil {
		return fmt.Errorf("want an email address, got %q", address)
	}
	return nil
}

// MaxSend is the longest one send can take (see maxSMTPSend).
func (e *Email) MaxSend() time.Duration { return maxSMTPSend(e.m.timeout) }

// Send renders and sends an immediate alert.
func (e *Email) Send(ctx context.Context, s Send) Result {
	r, err := e.render.RenderAlert(s.To.Name, s.To.Location, s.Item)
	if err != nil {
		return Result{Permanent: true, Reason: err.Error()}
	}
	return e.sendRendered(ctx, s.To, r, e.m.messageID("delivery", s.DeliveryID), s.Now, s.BeforeSend)
}

// SendDigest sends a rendered digest; digestID makes its Message-ID.
func (e *Email) SendDigest(ctx context.Context, to Recipient, r Rendered, digestID int64, now time.Time, before func()) Result {
	return e.sendRendered(ctx, to, r, e.m.messageID("digest", digestID), now, before)
}

func (e *Email) sendRendered(ctx context.Context, to Recipient, r Rendered, id string, now time.Time, before func()) Result {
	msg, err := e.m.build(to.Address(model.ChannelEmail), r.Subject, r, id, now)
	if err != nil {
		return Result{Permanent: true, Reason: fmt.Sprintf("build message for %s: %v", to.Name, err), MessageID: id}
	}
	if before != nil {
		before()
	}
	resp, closeErr, err := e.m.send(ctx, msg)
	if err != nil {
		perm, reason := smtpOutcome(err)
		return Result{Permanent: perm, Reason: reason, Response: resp, MessageID: id}
	}
	return Result{Sent: true, Response: resp, MessageID: id, CloseErr: closeErr}
}

// RenderDigest renders a digest (subject, HTML and text).
func (e *Email) RenderDigest(d Digest) (Rendered, error) { return e.render.RenderDigest(d) }

// RenderDigest renders a digest without an email channel (previews).
func RenderDigest(d Digest) (Rendered, error) { return newRenderer().RenderDigest(d) }

// WriteEML writes a rendered message to address as the mail server would
// receive it, with a Message-ID that says "preview". cfg gives the sender;
// the server need not be set.
func WriteEML(w io.Writer, cfg config.SMTP, to string, r Rendered, now time.Time) error {
	if cfg.URL == "" {
		cfg.URL = "smtp://localhost"
	}
	m, err := newMailer(cfg)
	if err != nil {
		return err
	}
	if to == "" {
		to = "undisclosed-recipients@localhost"
	}
	msg, err := m.build(to, r.Subject, r, m.messageID("preview", now.Unix()), now)
	if err != nil {
		return fmt.Errorf("alert: build message: %w", err)
	}
	_, err = msg.WriteTo(w)
	return err
}

// mailer sends one message per connection through the configured server.
type mailer struct {
	host       string
	port       int
	implicit   bool // smtps://
	user, pass string
	from       string
	fromDomain string
	timeout    time.Duration
	requireTLS bool
}

func newMailer(cfg config.SMTP) (*mailer, error) {
	if cfg.URL == "" {
		return nil, nil
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("alert: smtp url %s: %w", config.RedactURL(cfg.URL), err)
	}
	m := &mailer{
		host:       u.Hostname(),
		implicit:   u.Scheme == "smtps",
		from:       cfg.From,
		timeout:    cfg.Timeout,
		requireTLS: cfg.RequireTLS,
		pass:       cfg.Password.Reveal(),
	}
	if m.from == "" {
		m.from = "wirewatch <wirewatch@localhost>"
	}
	addr, err := mail.ParseAddress(m.from)
	if err != nil {
		return nil, fmt.Errorf("alert: smtp from %q: %w", m.from, err)
	}
	if _, d, ok := strings.Cut(addr.Address, "@"); ok {
		m.fromDomain = d
	}
	if u.User != nil {
		m.user = u.User.Username()
		if pw, ok := u.User.Password(); ok && m.pass == "" {
			m.pass = pw
		}
	}
	switch p := u.Port(); {
	case p != "":
		m.port, err = strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("alert: smtp url %s: bad port", config.RedactURL(cfg.URL))
		}
	case m.implicit:
		m.port = 465
	default:
		m.port = 587
	}
	if m.timeout <= 0 {
		m.timeout = config.DefaultSMTPTimeout
	}
	return m, nil
}

// messageID is the Message-ID (without brackets) of a delivery or digest:
// the same on every attempt, so a repeat after a crash is recognisable.
func (m *mailer) messageID(kind string, id int64) string {
	return fmt.Sprintf("wirewatch.%s.%d@%s", kind, id, m.fromDomain)
}

// build makes the MIME message: multipart/alternative with a text and an
// HTML part. go-mail encodes the subject (RFC 2047) and the parts.
func (m *mailer) build(to, subject string, r Rendered, messageID string, date time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return nil, fmt.Errorf("from %q: %w", m.from, err)
	}
	if err := msg.To(to); err != nil {
		return nil, fmt.Errorf("to %q: %w", to, err)
	}
	msg.Subject(headerSafe(subject))
	msg.SetMessageIDWithValue(messageID)
	msg.SetDateWithValue(date)
	msg.SetUserAgent("wirewatch")
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBulk()
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	return msg, nil
}

// MaxSMTPSend is the longest one send can take with the smtp section's
// timeout.
func MaxSMTPSend(cfg config.SMTP) time.Duration { return maxSMTPSend(cfg.Timeout) }

// maxSMTPSend is the longest one SMTP send can take: go-mail bounds the
// dial (greeting, EHLO, STARTTLS, AUTH), the transaction (MAIL to the end
// of DATA) and the RSET+QUIT each by the connection deadline (timeout), and
// send bounds the whole by a context of 3×timeout.
func maxSMTPSend(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		timeout = config.DefaultSMTPTimeout
	}
	return 3 * timeout
}

// send delivers one message and returns the server's final reply. A
// message the server accepted (250 after DATA) counts as sent even when
// the RSET or QUIT after it fails: that error is returned as closeErr, for
// logging only, and err is nil.
func (m *mailer) send(ctx context.Context, msg *gomail.Msg) (resp string, closeErr, err error) {
	opts := []gomail.Option{
		gomail.WithPort(m.port),
		gomail.WithTimeout(m.timeout),
		gomail.WithHELO(helo()),
	}
	if m.implicit {
		opts = append(opts, gomail.WithSSL())
	} else if m.requireTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(m.user), gomail.WithPassword(m.pass))
	}
	c, err := gomail.NewClient(m.host, opts...)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, maxSMTPSend(m.timeout))
	defer cancel()
	err = c.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		return msg.ServerResponse(), err, nil
	}
	return msg.ServerResponse(), nil, err
}

func helo() string {
	return "wirewatch.localhost"
}

// smtpOutcome sorts an SMTP error by the rule: a 5xx reply is
// permanent (with the server's text as the reason); connection errors,
// timeouts and 4xx replies are worth another try. The reply may come with
// the message (*gomail.SendError) or before it, at the greeting, STARTTLS
// or AUTH (*textproto.Error, e.g. 554 at the greeting or 535 to AUTH).
func smtpOutcome(err error) (permanent bool, reason string) {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 400 && code < 600 {
			return code >= 500, err.Error()
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 && te.Code < 600 {
		return te.Code >= 500, err.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, "timeout: " + err.Error()
	}
	return false, err.Error()
}
