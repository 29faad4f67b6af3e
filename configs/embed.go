// Package configs embeds the default configuration, the source catalogue and
// the topic taxonomy, so the binary runs without any file beside it.
package configs

import "embed"

// FS holds wirewatch.yaml, sources.yaml and topics.yaml as shipped.
//
//go:embed *.yaml
var FS embed.FS
