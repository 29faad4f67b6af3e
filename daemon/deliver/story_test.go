package deliver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
)

// A story carried by three outlets is one digest item naming the others;
// every delivery row is still marked sent.
func TestDigestOneItemPerStory(t *testing.T) {
	// (Alike by design: every sender test opens like this, with its own
	// subscriber; newTestEnv holds what they share.)
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "bo", Email: "bo@example.org", Cadence: "daily at 08:00 Europe/London"})
	ctx := context.Background()
	var ids []int64
	for i, outlet := range []string{"Xinhua", "China Daily", "CGTN", "Global Times"} {
		a := simpleArticle(i+1, "data-security", 0.9-0.1*float64(i))
		a.Outlet = outlet
		id, _ := storeArticle(t, e.pool, a, alert.Change{})
		ids = append(ids, id)
	}
	var story int64
	if err := e.pool.QueryRow(ctx, `INSERT INTO stories (first_article_id) VALUES ($1) RETURNING id`, ids[0]).Scan(&story); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE articles SET story_id = $1 WHERE id = ANY ($2)`, story, ids[:3]); err != nil {
		t.Fatal(err)
	}
	s := e.service(t, Options{Now: func() time.Time { return time.Now().Add(25 * time.Hour) }})
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v; want 1 digest", n, err)
	}
	p := alerttest.ParseMessage(t, e.smtp.Messages()[0].Data)
	if !strings.Contains(p.Subject, "2 new cyber-policy articles") {
		t.Errorf("subject %q, want 2 items (one story, one other)", p.Subject)
	}
	for _, part := range []string{p.Text, p.HTML} {
		if !strings.Contains(strings.Join(strings.Fields(part), " "), "also carried by: China Daily, CGTN") {
			t.Errorf("story not folded with its other outlets:\n%s", part)
		}
	}
	if strings.Contains(p.Text, "Article 2 on") || strings.Contains(p.Text, "Article 3 on") {
		t.Error("the other copies are listed as items")
	}
	if c := statusCounts(t, e.pool); c["sent"] != 4 {
		t.Errorf("statuses %v, want 4 sent", c)
	}
}
