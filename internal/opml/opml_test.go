package opml_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/internal/opml"
)

func TestParseFoldersCategoriesAndCharsets(t *testing.T) {
	doc := `<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline text="Top"><outline text="Inner">
    <outline text="Caf` + "\xe9" + `" xmlUrl="https://a.example/feed"/>
  </outline></outline>
  <outline text="Loose" type="rss" xmlUrl="https://b.example/rss" category="/Tech/Security,/Tags/x"/>
  <outline title="Only title" XMLURL="https://c.example/atom"/>
</body></opml>`
	feeds, err := opml.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []opml.Feed{
		{Title: "Café", XMLURL: "https://a.example/feed", Category: "Top/Inner"},
		{Title: "Loose", XMLURL: "https://b.example/rss", Category: "Tech/Security"},
		{Title: "Only title", XMLURL: "https://c.example/atom"},
	}
	if len(feeds) != len(want) {
		t.Fatalf("got %+v", feeds)
	}
	for i := range want {
		if feeds[i] != want[i] {
			t.Errorf("feed %d: %+v, want %+v", i, feeds[i], want[i])
		}
	}
	// Written and read back: the nested folders come back.
	var buf bytes.Buffer
	if err := opml.Write(&buf, "x", time.Unix(0, 0), feeds); err != nil {
		t.Fatal(err)
	}
	back, err := opml.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range feeds {
		if back[i] != feeds[i] {
			t.Errorf("round trip %d: %+v, want %+v", i, back[i], feeds[i])
		}
	}
}

func TestParseRefusesWhatIsNotOPML(t *testing.T) {
	for _, doc := range []string{"", "<rss/>", "<opml><body><outline", strings.Repeat("<a>", 10)} {
		if _, err := opml.Parse(strings.NewReader(doc)); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
	big := "<opml><body>" + strings.Repeat(" ", opml.MaxSize) + "</body></opml>"
	if _, err := opml.Parse(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("oversized document: %v", err)
	}
}

// FuzzParse: any input either parses or is refused with an error, and what
// parses can be written out again.
func FuzzParse(f *testing.F) {
	f.Add(`<opml version="2.0"><body><outline text="a"><outline text="b" xmlUrl="https://x/"/></outline></body></opml>`)
	f.Add(`<opml><body><outline text="b" xmlUrl="https://x/" category="/c,/d"/></body></opml>`)
	f.Fuzz(func(t *testing.T, doc string) {
		feeds, err := opml.Parse(strings.NewReader(doc))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := opml.Write(&buf, "fuzz", time.Unix(0, 0), feeds); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if _, err := opml.Parse(&buf); err != nil {
			t.Fatalf("written document does not parse: %v\n%s", err, buf.String())
		}
	})
}
