package alert

import (
	"net/http"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
)

func TestLastBoundary(t *testing.T) {
	t.Parallel()
	london, _ := time.LoadLocation("Europe/London")
	sg, _ := time.LoadLocation("Asia/Singapore")
	daily, _ := config.ParseCadence("daily at 08:00 Europe/London")
	weekly, _ := config.ParseCadence("weekly on Monday at 07:00 Asia/Singapore")
	tests := []struct {
		name string
		c    config.Cadence
		now  time.Time
		want time.Time
	}{
		{"daily after", daily, time.Date(2026, 11, 23, 9, 0, 0, 0, london), time.Date(2026, 11, 23, 8, 0, 0, 0, london)},
		{"daily before", daily, time.Date(2026, 11, 23, 7, 59, 0, 0, london), time.Date(2026, 11, 22, 8, 0, 0, 0, london)},
		{"daily exact", daily, time.Date(2026, 11, 23, 8, 0, 0, 0, london), time.Date(2026, 11, 23, 8, 0, 0, 0, london)},
		{"daily BST", daily, time.Date(2026, 7, 1, 7, 30, 0, 0, time.UTC), time.Date(2026, 7, 1, 8, 0, 0, 0, london)},
		{"weekly same day after", weekly, time.Date(2026, 11, 23, 7, 1, 0, 0, sg), time.Date(2026, 11, 23, 7, 0, 0, 0, sg)},
		{"weekly same day before", weekly, time.Date(2026, 11, 23, 6, 59, 0, 0, sg), time.Date(2026, 11, 16, 7, 0, 0, 0, sg)},
		{"weekly sunday", weekly, time.Date(2026, 11, 22, 23, 0, 0, 0, sg), time.Date(2026, 11, 16, 7, 0, 0, 0, sg)},
	}
	for _, tt := range tests {
		if got := LastBoundary(tt.c, tt.now); !got.Equal(tt.want) {
			t.Errorf("%s: LastBoundary = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Across the autumn DST change the previous boundary keeps 08:00 local.
	b := time.Date(2026, 10, 26, 8, 0, 0, 0, london)
	if got, want := PrevBoundary(daily, b), time.Date(2026, 10, 25, 8, 0, 0, 0, london); !got.Equal(want) || got.Hour() != 8 {
		t.Errorf("PrevBoundary across DST = %v, want %v", got, want)
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"a":1}`)
	h := http.Header{}
	h.Set(HeaderWebhookID, "msg_1")
	h.Set(HeaderWebhookTimestamp, "1700000000")
	h.Set(HeaderWebhookSignature, Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", ts, body))
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, body, ts, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"a":2}`), ts, time.Minute); err == nil {
		t.Fatal("tampered body verified")
	}
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, body, ts.Add(time.Hour), time.Minute); err == nil {
		t.Fatal("stale timestamp verified")
	}
	// The Standard Webhooks reference vector.
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	got := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if got != want {
		t.Fatalf("Sign = %s, want the reference %s", got, want)
	}
}
