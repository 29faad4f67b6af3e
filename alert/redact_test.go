package alert

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// A webhook's URL path is its secret (Slack, Teams): a transport failure
// must not print it, since Reason goes to logs and deliveries.error.
func TestWebhookFailureHidesURLSecret(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the POST fails to connect
	const token = "T0AAA/B0BBB/SeCrEtWebhookToken"
	w := NewWebhook(nil, 2*time.Second)
	for _, target := range []string{
		"http://" + addr + "/services/" + token,
		"http://user:" + "SeCrEtWebhookToken" + "@" + addr + "/hook?sig=SeCrEtWebhookToken",
	} {
		r := w.Send(context.Background(), Send{To: Recipient{Name: "a", Addresses: map[string]string{model.ChannelWebhook: target}, Secret: "s"}, DeliveryID: 1, Now: time.Now()})
		if r.Sent || r.Reason == "" {
			t.Fatalf("send to a closed port: %+v", r)
		}
		if strings.Contains(r.Reason, "SeCrEtWebhookToken") {
			t.Errorf("Reason holds the webhook secret: %s", r.Reason)
		}
		if !strings.Contains(r.Reason, addr) {
			t.Errorf("Reason lost the host: %s", r.Reason)
		}
	}
}
