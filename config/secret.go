package config

import "log/slog"

// Secret holds a password, token or signing key. It never prints itself:
// fmt, slog, JSON and YAML all see "[redacted]" (or "" when it is empty).
// Call Reveal where the value is really needed.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without showing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer for %#v.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (JSON and YAML use it).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
