package daemon_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/model"
)

// gatedClassifier holds every classification until its gate opens.
type gatedClassifier struct {
	daemon.Classifier
	gate    chan struct{}
	entered atomic.Int32
}

func (c *gatedClassifier) Classify(title, summary, body, lang string) model.Classification {
	c.entered.Add(1)
	<-c.gate
	return c.Classifier.Classify(title, summary, body, lang)
}

// articleDownloads counts the farm's article page requests.
func (f *farm) articleDownloads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for p, c := range f.hits {
		if strings.HasPrefix(p, "/article/") {
			n += c
		}
	}
	return n
}

// A classify stage that does not move holds back the stages before it down
// to the fetch stage's claims: no more articles are downloaded than the
// workers and queues between fetch and classify hold. At shutdown what was
// downloaded goes through extract and classify, in order, and is stored.
func TestBackPressureAndOrderedShutdown(t *testing.T) {
	ctx, db, f := farmTest(t)
	cfg := testConfig(db)
	cfg.Daemon.FetchWorkers = 1
	cfg.Daemon.ShutdownGrace = 20 * time.Second
	cfg.SourcesFile = catalogue(t, f.specs(20)) // 60 articles
	cfg.Daemon.ReplicaID = "replica-gated"
	cfg.Fetch.UserAgent = "wirewatch-gated/1.0"
	setup, err := daemon.NewSetup(ctx, cfg, db.Store, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(setup.Client.Close)
	cls := &gatedClassifier{Classifier: setup.Deps.Classifier, gate: make(chan struct{})}
	deps := setup.Deps
	deps.Classifier = cls
	d := daemon.New(cfg, deps, testLogger(t), nil)

	// In flight at most: 8 downloads per fetch worker waiting to hand over,
	// the extract queue (1) and worker (1), the classify queue (1) and the
	// worker held in the classifier (1).
	const held = 8 + 1 + 1 + 1 + 1
	stop, done := runDaemon(ctx, d)
	waitFor(t, 30*time.Second, "the stages before classify full", func() bool {
		return f.articleDownloads() >= held && cls.entered.Load() == 1
	})
	time.Sleep(20 * cfg.Daemon.Tick) // time enough to claim more, were claims not held back
	if n := f.articleDownloads(); n != held {
		t.Errorf("%d articles downloaded while classify was stuck, want %d", n, held)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE lease_owner = 'replica-gated'`); n != held {
		t.Errorf("%d articles leased while classify was stuck, want %d", n, held)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles`); n != 60 {
		t.Fatalf("%d articles queued by the polls, want 60", n)
	}

	stop()
	time.Sleep(100 * time.Millisecond)
	close(cls.gate)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched'`); n != held {
		t.Errorf("%d articles stored at shutdown, want the %d downloaded", n, held)
	}
	if n := f.articleDownloads(); n != held {
		t.Errorf("%d articles downloaded after shutdown began, want %d in all", n, held)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE lease_owner IS NOT NULL`); n != 0 {
		t.Errorf("%d articles still leased after shutdown", n)
	}
}
