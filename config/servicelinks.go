package config

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Kubernetes injects "service links" into every container: for each Service
// of the namespace (unless the pod sets enableServiceLinks: false), variables
// named after the Service in capitals with dashes turned into underscores.
// A Service called wirewatch therefore yields WIREWATCH_SERVICE_HOST,
// WIREWATCH_SERVICE_PORT, WIREWATCH_SERVICE_PORT_HTTP, WIREWATCH_PORT,
// WIREWATCH_PORT_9090_TCP, WIREWATCH_PORT_9090_TCP_PROTO, _PORT and _ADDR,
// and a Service called wirewatch-metrics the same under WIREWATCH_METRICS_.
// These are not settings. They are recognised by name and value, so that a
// mistyped setting (WIREWATCH_DAEMON_PORT=9090) is still refused.
var (
	linkServiceHost = regexp.MustCompile(`^WIREWATCH_(?:[A-Z0-9_]+_)?SERVICE_HOST$`)
	linkServicePort = regexp.MustCompile(`^WIREWATCH_(?:[A-Z0-9_]+_)?SERVICE_PORT(?:_[A-Z0-9_]+)?$`)
	linkPort        = regexp.MustCompile(`^WIREWATCH_(?:[A-Z0-9_]+_)?PORT(?:_[0-9]+_(?:TCP|UDP|SCTP))?$`)
	linkPortPart    = regexp.MustCompile(`^WIREWATCH_(?:[A-Z0-9_]+_)?PORT_[0-9]+_(?:TCP|UDP|SCTP)_(PROTO|PORT|ADDR)$`)
)

// isServiceLink reports whether name=value has the shape of a variable that
// Kubernetes injects for a Service (see above).
func isServiceLink(name, value string) bool {
	switch {
	case linkServiceHost.MatchString(name):
		return isAddr(value)
	case linkPortPart.MatchString(name):
		switch linkPortPart.FindStringSubmatch(name)[1] {
		case "PROTO":
			return value == "tcp" || value == "udp" || value == "sctp"
		case "PORT":
			return isPort(value)
		default: // ADDR
			return isAddr(value)
		}
	case linkServicePort.MatchString(name):
		return isPort(value)
	case linkPort.MatchString(name):
		// proto://address:port, e.g. tcp://10.96.12.7:9090 or tcp://[fd00::7]:9090
		proto, hostPort, ok := strings.Cut(value, "://")
		if !ok || (proto != "tcp" && proto != "udp" && proto != "sctp") {
			return false
		}
		ap, err := netip.ParseAddrPort(hostPort)
		return err == nil && ap.Port() != 0
	}
	return false
}

func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func isPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}

// ServiceLinks lists the variables of environ that applyEnv ignores because
// they are Kubernetes service links, sorted, so that a command can say so
// (once, at debug level) after its logger exists.
func ServiceLinks(environ []string) []string {
	known := map[string]bool{}
	for _, k := range Keys() {
		known[EnvKey(k)] = true
	}
	var out []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) && !known[k] && isServiceLink(k, v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
