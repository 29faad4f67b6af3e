package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	yaml "go.yaml.in/yaml/v3"
)

var metricName = regexp.MustCompile(`\bwirewatch_[a-z0-9_]+\b`)

// deployExprs returns the PromQL expressions of the alerting rules and of
// the Grafana dashboard in deploy/, by where they come from.
func deployExprs(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	b, err := os.ReadFile("../../deploy/prometheus/wirewatch-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	// (Alike by design: the rules file and the dashboard are read into their own shapes.)
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("rules: %v", err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("rules: a rule without alert name or expression in group %s", g.Name)
			}
			out["rule "+r.Alert] = append(out["rule "+r.Alert], r.Expr)
		}
	}
	b, err = os.ReadFile("../../deploy/grafana/wirewatch.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	// (Alike by design: the rules file and the dashboard are read into their own shapes.)
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out["panel "+p.Title] = append(out["panel "+p.Title], tg.Expr)
		}
	}
	if len(out) < 10 {
		t.Fatalf("deploy/: only %d rules and panels", len(out))
	}
	return out
}

// checkDeploy checks that every wirewatch_ metric the rules and the
// dashboard use is in fams (a running daemon's /metrics); a histogram's
// _bucket, _sum and _count count as the histogram.
func checkDeploy(t *testing.T, fams map[string]*dto.MetricFamily) {
	for where, exprs := range deployExprs(t) {
		for _, e := range exprs {
			names := metricName.FindAllString(e, -1)
			if len(names) == 0 && !strings.Contains(e, "up{") {
				t.Errorf("%s: no wirewatch metric in %q", where, e)
			}
			for _, n := range names {
				if fams[n] != nil {
					continue
				}
				base := n
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					base = strings.TrimSuffix(base, suf)
				}
				if f := fams[base]; base != n && f != nil && f.GetType() == dto.MetricType_HISTOGRAM {
					continue
				}
				t.Errorf("%s uses %s, which /metrics does not have", where, n)
			}
		}
	}
}

// With promtool installed (Debian: apt-get install prometheus), the rules
// pass its checks and their unit tests.
func TestAlertingRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (apt-get install prometheus); TestMetricsTable still checks the metric names")
	}
	for _, args := range [][]string{{"check", "rules", "wirewatch-rules.yaml"}, {"test", "rules", "wirewatch-rules.test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../../deploy/prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// The image checks itself with `wirewatch healthcheck`: the Dockerfile's
// HEALTHCHECK and compose.yaml's, with no sidecar left in compose.
func TestImageAndComposeHealthcheck(t *testing.T) {
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*\\\n\s+CMD \["wirewatch", "healthcheck"`).Match(df) {
		t.Errorf("the Dockerfile has no HEALTHCHECK running wirewatch healthcheck")
	}
	b, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string `yaml:"image"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	ww, ok := compose.Services["wirewatch"]
	if !ok || !strings.HasPrefix(strings.Join(ww.Healthcheck.Test, " "), "CMD wirewatch healthcheck") {
		t.Errorf("compose: wirewatch's health check is %v", ww.Healthcheck.Test)
	}
	for name, s := range compose.Services {
		if strings.HasPrefix(s.Image, "busybox") {
			t.Errorf("compose: service %s still runs busybox", name)
		}
	}
}
