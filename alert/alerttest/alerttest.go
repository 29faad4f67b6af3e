// Package alerttest has what tests of messages need: an in-process SMTP
// server on loopback and a parser for the messages it receives.
package alerttest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is an in-process SMTP server on loopback that records what it
// accepts. Reply decides the answer to each DATA (nil accepts).
type SMTPServer struct {
	Addr string
	mu   sync.Mutex
	msgs []Received
	// Reply is called with the 1-based number of the DATA command.
	Reply func(n int) error
	datas int
	srv   *smtp.Server
}

type Received struct {
	From string
	To   []string
	Data []byte
}

type session struct {
	s    *SMTPServer
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.datas++
	n := x.s.datas
	reply := x.s.Reply
	x.s.mu.Unlock()
	if reply != nil {
		if err := reply(n); err != nil {
			return err
		}
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Received{From: x.from, To: x.to, Data: b})
	x.s.mu.Unlock()
	return nil
}

// NewSMTPServer starts one on loopback, closed when t ends.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	return NewSMTPServerWrapped(t, nil)
}

// NewSMTPServerWrapped is NewSMTPServer with its listener wrapped (nil: as
// it is), to misbehave at the connection level.
func NewSMTPServerWrapped(t testing.TB, wrap func(net.Listener) net.Listener) *SMTPServer {
	t.Helper()
	s := &SMTPServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 16 << 20
	srv.MaxRecipients = 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	if wrap != nil {
		ln = wrap(ln)
	}
	s.srv = srv
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Messages returns what the server accepted so far.
func (s *SMTPServer) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Parsed is a received message taken apart.
type Parsed struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
	Type    string
}

// ParseMessage takes a multipart/alternative message apart (and fails t
// when it is not one).
func ParseMessage(t testing.TB, data []byte) Parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	dec := new(mime.WordDecoder)
	subj, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	p := Parsed{Header: m.Header, Subject: subj}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content-type: %v", err)
	}
	p.Type = mt
	if mt != "multipart/alternative" {
		t.Fatalf("content-type %s, want multipart/alternative", mt)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); strings.EqualFold(cte, "base64") {
			t.Fatalf("unexpected base64 part")
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		default:
			t.Fatalf("unexpected part %s", ct)
		}
	}
	return p
}

// DataCommands is how many DATA commands the server has seen (accepted or
// not).
func (s *SMTPServer) DataCommands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.datas
}

// SetReply sets Reply under the server's lock.
func (s *SMTPServer) SetReply(f func(n int) error) {
	s.mu.Lock()
	s.Reply = f
	s.mu.Unlock()
}
