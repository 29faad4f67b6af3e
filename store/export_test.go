package store_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// seedExportArticles copies n articles, one an hour from base; every
// third is relevant, every fifth has no published_at (first_seen_at is
// used), every seventh is Chinese with a comma, quote and newline in its
// text to exercise CSV quoting.
func seedExportArticles(t *testing.T, s *store.Store, n int, base time.Time) {
	t.Helper()
	ctx := context.Background()
	rows := make([][]any, n)
	for i := range n {
		at := base.Add(time.Duration(i) * time.Hour)
		var pub any = at
		if i%5 == 4 {
			pub = nil
		}
		lang, title, body := "en", fmt.Sprintf("Article %d", i), fmt.Sprintf("Body %d.", i)
		if i%7 == 0 {
			lang, title, body = "zh", fmt.Sprintf("文章 %d，\"引号\"", i), fmt.Sprintf("第一行\n第二行 %d", i)
		}
		rel := i%3 == 0
		topics := []string{}
		if rel {
			topics = []string{"data_security", "ai"}
		}
		rows[i] = []any{fmt.Sprintf("https://x.example/%d", i), "Outlet", lang, title, "summary", body, pub, at, topics, rel, float32(i%10) / 10}
	}
	_, err := s.Pool.CopyFrom(ctx, pgx.Identifier{"articles"},
		[]string{"canonical_url", "outlet", "language", "title", "summary", "body_text", "published_at", "first_seen_at", "topics", "relevant", "score"},
		pgx.CopyFromRows(rows))
	if err != nil {
		t.Fatal(err)
	}
}

func TestExportCSVAndJSONL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 3000
	seedExportArticles(t, s, n, base)
	since, until := base.Add(100*time.Hour), base.Add(2600*time.Hour)

	for _, tc := range []struct {
		name string
		f    store.ExportFilter
		want int
	}{
		{"all", store.ExportFilter{}, n},
		{"range", store.ExportFilter{Since: since, Until: until}, 2500},
		{"relevant in range", store.ExportFilter{Since: since, Until: until, RelevantOnly: true}, 833},
	} {
		t.Run(tc.name, func(t *testing.T) {
			count, err := s.CountExport(ctx, tc.f)
			if err != nil || count != int64(tc.want) {
				t.Fatalf("CountExport = %d, %v; want %d", count, err, tc.want)
			}

			var buf bytes.Buffer
			ticks := 0
			written, err := s.ExportTo(ctx, tc.f, "csv", &buf, func() { ticks++ })
			if err != nil || written != int64(tc.want) || ticks != tc.want {
				t.Fatalf("csv: wrote %d (%d ticks), %v; want %d", written, ticks, err, tc.want)
			}
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("csv does not parse: %v", err)
			}
			if len(recs) != tc.want+1 || !slices.Equal(recs[0], store.ExportColumns) {
				t.Fatalf("csv: %d records, header %q", len(recs), recs[0])
			}
			prev := ""
			for _, r := range recs[1:] {
				if len(r) != len(store.ExportColumns) {
					t.Fatalf("record has %d fields", len(r))
				}
				when := r[7]
				if when == "" {
					when = r[8]
				}
				if when < prev {
					t.Fatalf("not oldest first: %s after %s", when, prev)
				}
				prev = when
				if tc.f.RelevantOnly && r[12] != "true" {
					t.Fatalf("irrelevant row exported: %q", r)
				}
			}

			buf.Reset()
			written, err = s.ExportTo(ctx, tc.f, "jsonl", &buf, nil)
			if err != nil || written != int64(tc.want) {
				t.Fatalf("jsonl: wrote %d, %v", written, err)
			}
			sc := bufio.NewScanner(&buf)
			sc.Buffer(nil, 1<<20)
			lines := 0
			for sc.Scan() {
				var row map[string]any
				if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
					t.Fatalf("line %d: %v", lines+1, err)
				}
				if len(row) != len(store.ExportColumns) {
					t.Fatalf("line %d has keys %v", lines+1, row)
				}
				lines++
			}
			if lines != tc.want {
				t.Fatalf("jsonl: %d lines, want %d", lines, tc.want)
			}
		})
	}
}

func TestExportRowContent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seedExportArticles(t, s, 8, base)
	var buf bytes.Buffer
	if _, err := s.ExportTo(ctx, store.ExportFilter{Until: base.Add(time.Hour)}, "jsonl", &buf, nil); err != nil {
		t.Fatal(err)
	}
	var got store.ExportRow
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.URL != "https://x.example/0" || got.Language != "zh" || got.Title != `文章 0，"引号"` || got.BodyText != "第一行\n第二行 0" ||
		got.PublishedAt == nil || !got.PublishedAt.Equal(base) || got.Relevant == nil || !*got.Relevant ||
		!slices.Equal(got.Topics, []string{"data_security", "ai"}) || got.RemovedAt != nil {
		t.Fatalf("row %+v", got)
	}
	buf.Reset()
	if _, err := s.ExportTo(ctx, store.ExportFilter{Until: base.Add(time.Hour)}, "csv", &buf, nil); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	rec := recs[1]
	if rec[5] != `文章 0，"引号"` || rec[16] != "第一行\n第二行 0" || rec[7] != "2026-01-01T00:00:00Z" || rec[14] != "data_security;ai" || rec[10] != "" {
		t.Fatalf("record %q", rec)
	}
}

// failingWriter fails after limit bytes, like a closed pipe.
type failingWriter struct{ limit int }

var errPipe = errors.New("broken pipe")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.limit -= len(p); w.limit < 0 {
		return 0, errPipe
	}
	return len(p), nil
}

func TestExportStopsOnWriteError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	seedExportArticles(t, s, 3000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, format := range []string{"csv", "jsonl"} {
		n, err := s.ExportTo(ctx, store.ExportFilter{}, format, &failingWriter{limit: 100 << 10}, nil)
		if !errors.Is(err, errPipe) || n >= 3000 {
			t.Errorf("%s: wrote %d rows, err %v; want to stop with the write error", format, n, err)
		}
	}
	if _, err := s.ExportTo(ctx, store.ExportFilter{}, "xml", io.Discard, nil); err == nil {
		t.Error("unknown format accepted")
	}
	// The pool is usable after an abandoned export.
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}
