package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/config"
)

func TestServiceLinksAreIgnoredTyposAreNot(t *testing.T) {
	links := []string{
		"WIREWATCH_SERVICE_HOST=10.96.0.12",
		"WIREWATCH_SERVICE_PORT=9090",
		"WIREWATCH_SERVICE_PORT_HTTP=9090",
		"WIREWATCH_PORT=tcp://10.96.0.12:9090",
		"WIREWATCH_PORT_9090_TCP=tcp://10.96.0.12:9090",
		"WIREWATCH_PORT_9090_TCP_PROTO=tcp",
		"WIREWATCH_PORT_9090_TCP_PORT=9090",
		"WIREWATCH_PORT_9090_TCP_ADDR=10.96.0.12",
		// A second Service, wirewatch-metrics, on IPv6.
		"WIREWATCH_METRICS_SERVICE_HOST=fd00::c",
		"WIREWATCH_METRICS_PORT=udp://[fd00::c]:9100",
		"WIREWATCH_METRICS_PORT_9100_UDP_ADDR=fd00::c",
	}
	if _, err := config.Load("", links); err != nil {
		t.Fatalf("service links refused: %v", err)
	}
	got := config.ServiceLinks(append(links, "WIREWATCH_DATABASE_MAX_CONNS=3", "PATH=/bin"))
	if len(got) != len(links) || !slices.Contains(got, "WIREWATCH_PORT") || slices.Contains(got, "WIREWATCH_DATABASE_MAX_CONNS") {
		t.Fatalf("ServiceLinks = %v", got)
	}
	// Names that look like links but whose values do not, and plain typos.
	for _, kv := range []string{
		"WIREWATCH_DAEMON_PORT=9090",
		"WIREWATCH_PORT=9090",
		"WIREWATCH_SERVICE_HOST=wirewatch.default.svc",
		"WIREWATCH_PORT_9090_TCP_PROTO=http",
		"WIREWATCH_PORT_9090_TCP_PORT=0",
		"WIREWATCH_DATABASE_URLL=postgres://x",
	} {
		_, err := config.Load("", append(slices.Clone(links), kv))
		name, _, _ := strings.Cut(kv, "=")
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "unknown setting") {
			t.Errorf("%s: err = %v, want an unknown-setting error naming it", kv, err)
		}
	}
}
