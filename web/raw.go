package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wirewatch/wirewatch/store"
)

// writeRaw sends a stored raw page as text/plain in its original charset,
// with a sandboxing policy on top: whatever the outlet's markup holds is
// displayed, never executed. A browser that accepts gzip gets the stored
// bytes as they are; anything else gets them decompressed as they stream.
func writeRaw(w http.ResponseWriter, r *http.Request, p store.RawPage) error {
	h := w.Header()
	ctype := "text/plain"
	if cs := safeCharset(p.Charset); cs != "" {
		ctype += "; charset=" + cs
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", fmt.Sprint(len(p.Gzip)))
		_, _ = w.Write(p.Gzip)
		return nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(p.Gzip))
	if err != nil {
		return fmt.Errorf("web: raw page: %w", err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		return errWritten
	}
	return nil
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// safeCharset keeps a charset label only if it is a plain token.
func safeCharset(s string) string {
	if s == "" || len(s) > 40 {
		return ""
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return ""
		}
	}
	return s
}
