package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wirewatch/wirewatch/store/storetest"
)

// readmeMetric is a row of the README's metric table.
type readmeMetric struct {
	labels []string            // label names
	values map[string][]string // label → values listed after "="
}

func readmeMetrics(t *testing.T) map[string]readmeMetric {
	t.Helper()
	sec, _, _ := strings.Cut(docAfter(t, "README.md", "\n## Metrics\n", "Metrics section"), "\n## ")
	row := regexp.MustCompile("^\\| `(wirewatch_[a-z_]+)` \\|\\s*(.*?)\\s*\\| .+ \\|$")
	name := regexp.MustCompile("`([a-z_]+)`")
	out := map[string]readmeMetric{}
	for _, line := range strings.Split(sec, "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rm := readmeMetric{values: map[string][]string{}}
		for _, group := range strings.Split(m[2], ";") {
			names := name.FindAllStringSubmatch(group, -1)
			for _, n := range names {
				rm.labels = append(rm.labels, n[1])
			}
			if _, vals, ok := strings.Cut(group, "="); ok && len(names) == 1 {
				for _, v := range strings.Split(vals, ",") {
					rm.values[names[0][1]] = append(rm.values[names[0][1]], strings.TrimSpace(v))
				}
			}
		}
		slices.Sort(rm.labels)
		out[m[1]] = rm
	}
	if len(out) < 10 {
		t.Fatalf("README metric table: %d rows", len(out))
	}
	return out
}

// scrape fetches and parses /metrics.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %s %s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func hasSeries(f *dto.MetricFamily, label, value string) bool {
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				return true
			}
		}
	}
	return false
}

// succeeded reports whether source has a last-success time.
func succeeded(fams map[string]*dto.MetricFamily, source string) bool {
	for _, m := range fams["wirewatch_source_last_success_timestamp_seconds"].GetMetric() {
		if m.GetLabel()[0].GetValue() == source && m.GetGauge().GetValue() > 0 {
			return true
		}
	}
	return false
}

// metricsDaemon runs a daemon with one source that answers, one that
// fails, and a webhook subscriber, and returns its listener's address.
func metricsDaemon(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>One</title><link>`+"http://"+r.Host+"/a/1.html"+`</link></item></channel></rss>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cat := filepath.Join(dir, "sources.yaml")
	os.WriteFile(cat, []byte(fmt.Sprintf("version: 1\nsources:\n"+
		"  - {name: good, outlet: Test, kind: feed, url: %q, language: en}\n"+
		"  - {name: broken, outlet: Test, kind: feed, url: %q, language: en}\n", srv.URL+"/feed.xml", srv.URL+"/gone.xml")), 0o600)
	cfg := filepath.Join(dir, "wirewatch.yaml")
	os.WriteFile(cfg, []byte("alert:\n  subscribers:\n"+
		"    - {name: hook, webhook: \"http://127.0.0.1:9/hook\", webhook_secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", cadence: immediate}\n"), 0o600)
	db := storetest.New(t)
	return startDaemon(t, []string{
		"WIREWATCH_CONFIG=" + cfg,
		"WIREWATCH_DATABASE_URL=" + db.URL,
		"WIREWATCH_SOURCES_FILE=" + cat,
		"WIREWATCH_FETCH_ALLOW_CIDRS=127.0.0.1/32",
		"WIREWATCH_FETCH_RESPECT_ROBOTS=false",
		"WIREWATCH_DAEMON_TICK=50ms",
	})
}

// TestMetricsTable compares the README's metric table with a running
// daemon's /metrics, both ways, and checks that the series whose label
// values the table lists are there from the start.
func TestMetricsTable(t *testing.T) {
	addr := metricsDaemon(t)
	readme := readmeMetrics(t)
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(20 * time.Second)
	for {
		fams = scrape(t, addr)
		if f := fams["wirewatch_fetch_errors_total"]; f != nil && hasSeries(f, "source", "broken") && succeeded(fams, "good") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fetch error and last success series after 20 s: %v %v", fams["wirewatch_fetch_errors_total"], fams["wirewatch_source_last_success_timestamp_seconds"])
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, rm := range readme {
		f := fams[name]
		if f == nil {
			t.Errorf("README lists %s; /metrics has no such metric", name)
			continue
		}
		var got []string
		for _, l := range f.GetMetric()[0].GetLabel() {
			got = append(got, l.GetName())
		}
		slices.Sort(got)
		if !slices.Equal(got, rm.labels) {
			t.Errorf("%s: labels %v in /metrics, %v in the README", name, got, rm.labels)
		}
		for label, values := range rm.values {
			for _, v := range values {
				if !hasSeries(f, label, v) {
					t.Errorf("%s{%s=%q}: listed in the README, no series in /metrics", name, label, v)
				}
			}
		}
	}
	for name := range fams {
		if _, ok := readme[name]; strings.HasPrefix(name, "wirewatch_") && !ok {
			t.Errorf("/metrics has %s; the README's table does not", name)
		}
	}
	// The per-source timestamp: recent for the source that answers, 0 for
	// the one that never did.
	for _, m := range fams["wirewatch_source_last_success_timestamp_seconds"].GetMetric() {
		v := m.GetGauge().GetValue()
		switch src := m.GetLabel()[0].GetValue(); src {
		case "good":
			if time.Since(time.Unix(int64(v), 0)) > time.Minute {
				t.Errorf("last success of good: %v", v)
			}
		case "broken":
			if v != 0 {
				t.Errorf("last success of broken: %v, want 0", v)
			}
		}
	}
	if f := fams["wirewatch_build_info"]; f == nil || f.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("wirewatch_build_info: %v", f)
	}
	t.Run("deploy", func(t *testing.T) { checkDeploy(t, fams) })
}
