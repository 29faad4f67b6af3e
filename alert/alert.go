// Package alert decides who gets which article and renders and sends the
// messages. It holds no state and reads no database: Plan turns an
// article's decision, the subscriptions and the existing deliveries into
// planned outbox rows; NewItem and the renderer turn a stored article into
// message content; one Channel per file (email.go, webhook.go, slack.go)
// sends one message. The caller (daemon/deliver) stores the plan and the outcomes
// through package store.
package alert

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/config"
)

// Recipient is who a message goes to, as the configuration and the
// subscribers table describe them.
type Recipient struct {
	SubscriberID int64
	Name         string
	// Addresses are the recipient's usable addresses by channel name (a
	// channel turned off after a 410 Gone has none).
	Addresses map[string]string
	// Secret signs webhook bodies.
	Secret string
	// Location is the time zone times are shown in (nil: UTC).
	Location *time.Location
}

// Result is what one send came to.
type Result struct {
	Sent bool
	// Permanent is set for a failure that another try will not mend (a 5xx
	// SMTP reply, a bad address, HTTP 410).
	Permanent bool
	// Cancelled is set when there is nothing to send on the channel (the
	// recipient has no address there).
	Cancelled bool
	// Gone is set when the endpoint is gone for good (HTTP 410): the
	// channel should be turned off for the recipient.
	Gone       bool
	Reason     string // error text
	Response   string // the far end's reply
	MessageID  string // stable across retries
	RetryAfter time.Duration
	// CloseErr is an error after the message was accepted (SMTP QUIT); the
	// message counts as sent.
	CloseErr error
}

// Send is one message about one article to one recipient on one channel.
type Send struct {
	To   Recipient
	Item Item
	// DeliveryID is the deliveries row; message ids are derived from it, so
	// a retry carries the same id.
	DeliveryID int64
	Now        time.Time
	// BeforeSend, when set, runs after the message is rendered and before
	// it leaves (a seam for crash tests).
	BeforeSend func()
}

// Address is the recipient's address on channel ("" when they have none,
// or it is turned off).
func (r Recipient) Address(channel string) string { return r.Addresses[channel] }

// Channel sends immediate messages on one channel: one message per
// delivery row. Adding a channel is a file with a Channel and a
// constructor, the constructor's line in channelConstructors, and the
// subscribers' addresses under alert.subscribers[].channels: the schema and
// the planner take any channel name.
type Channel interface {
	// Name is the channel as stored in deliveries.channel and named in the
	// configuration: lower-case letters, digits and _.
	Name() string
	// CheckAddress reports what is wrong with an address on this channel
	// (nil when it is usable), for the configuration check at start.
	CheckAddress(address string) error
	// Send renders and sends one message to s.To.Address(Name()).
	Send(ctx context.Context, s Send) Result
	// MaxSend is the longest one Send can take; leases must be longer.
	MaxSend() time.Duration
}

// Deps is what a channel's constructor may use.
type Deps struct {
	// Config is the alert section (timeouts, the SMTP server).
	Config config.Alert
	// HTTPClient posts to HTTP endpoints; nil: a client with
	// http.DefaultTransport. Channels never follow its redirects.
	HTTPClient *http.Client
}

// channelConstructors builds every channel wirewatch has. A constructor
// returns a nil Channel when its channel is off (email without
// alert.smtp.url): its rows wait.
var channelConstructors = []func(Deps) (Channel, error){
	newEmailChannel,
	newWebhookChannel,
	newSlackChannel,
}

// NewChannels builds the channels that are on, by name.
func NewChannels(d Deps) (map[string]Channel, error) {
	out := map[string]Channel{}
	for _, build := range channelConstructors {
		ch, err := build(d)
		if err != nil {
			return nil, err
		}
		if ch != nil {
			out[ch.Name()] = ch
		}
	}
	return out, nil
}

// CheckAddresses checks every subscriber's channels entries against the
// channels that are on: the channel must exist and take the address.
// (Email and webhook addresses are checked by config.Alert.Validate.)
func CheckAddresses(subs []config.Subscriber, channels map[string]Channel) error {
	for i, sub := range subs {
		for name, a := range sub.Channels {
			key := fmt.Sprintf("alert.subscribers[%d].channels.%s", i, name)
			ch, ok := channels[name]
			if !ok {
				return &config.Error{Key: key, Msg: "no such channel; the channels are " + strings.Join(slices.Sorted(maps.Keys(channels)), ", ")}
			}
			if err := ch.CheckAddress(strings.TrimSpace(a.Address.Reveal())); err != nil {
				return &config.Error{Key: key + ".address", Msg: err.Error()}
			}
		}
	}
	return nil
}
