package fetch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/fetch/dates"
	"github.com/wirewatch/wirewatch/fetch/urlnorm"
	"github.com/wirewatch/wirewatch/model"
)

// ParseJSONListing reads a listing published as a JSON data file, such as
// news.cn's ds_<id>.json ({"datasource": [{"title", "publishUrl",
// "publishTime"}, …]}) or a ministry's search API. l.Item is the dotted path
// to the array of entries ("" or "." when the document is the array; a
// number steps into an array: "data.0.list"); l.Link, l.Title and l.Date are
// dotted paths inside one entry (default "url", "title", none). Links are
// resolved against the data file's URL. Dates may be strings in any layout
// dates.Parse knows (or l.DateLayout) or Unix times in seconds or
// milliseconds.
func ParseJSONListing(body []byte, page *url.URL, l *model.Listing, opts ListingOptions) (ListingResult, error) {
	var res ListingResult
	if l == nil {
		return res, fmt.Errorf("%w: JSON listing without paths", ErrParse)
	}
	pattern, err := linkPattern(l)
	if err != nil {
		return res, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Location == nil {
		opts.Location = SourceLocation("", page.String())
		if opts.Location == nil {
			opts.Location = time.UTC
		}
	}
	// Some data files are served with a UTF-8 BOM or as JSONP-free text;
	// only the BOM is tolerated.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return res, fmt.Errorf("%w: JSON listing: %w", ErrParse, err)
	}
	arr, ok := jsonPath(doc, l.Item).([]any)
	if !ok {
		return res, fmt.Errorf("%w: JSON path %q is not an array", ErrListingEmpty, l.Item)
	}
	linkPath := firstNonEmpty(l.Link, "url")
	titlePath := firstNonEmpty(l.Title, "title")
	seen := map[string]bool{}
	var items []model.Item
	for _, e := range arr {
		href := jsonString(jsonPath(e, linkPath))
		if href == "" {
			continue
		}
		link, err := urlnorm.Canonical(href, page)
		if err != nil || seen[link] || (pattern != nil && !pattern.MatchString(link)) {
			continue
		}
		seen[link] = true
		it := model.Item{URL: link, Title: PlainText(jsonString(jsonPath(e, titlePath)), maxTitleRunes)}
		if l.Date != "" {
			it.Published = jsonDate(jsonPath(e, l.Date), l.DateLayout, opts)
		}
		if it.Published == nil && l.DateFromURL {
			it.Published = DateFromURL(link, opts.Location, opts.Now)
		}
		items = append(items, it)
	}
	res.Items = items
	res.Stats = countListing(len(arr), items)
	if len(items) == 0 {
		return res, fmt.Errorf("%w: JSON path %q gave %d entries, none with a usable link at %q", ErrListingEmpty, l.Item, len(arr), linkPath)
	}
	return res, nil
}

// jsonPath walks a dotted path ("data.list", "items.0") through decoded
// JSON; "" and "." return v itself, a missing step nil.
func jsonPath(v any, path string) any {
	path = strings.Trim(strings.TrimSpace(path), ".")
	if path == "" {
		return v
	}
	for step := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// jsonString returns a JSON string or number as text.
func jsonString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	}
	return ""
}

// jsonDate reads a date string or a Unix time (seconds or milliseconds).
func jsonDate(v any, layout string, opts ListingOptions) *time.Time {
	var t time.Time
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil || n <= 0 {
			return nil
		}
		if n > 1e11 {
			t = time.UnixMilli(n)
		} else {
			t = time.Unix(n, 0)
		}
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return nil
		}
		if (len(s) == 10 || len(s) == 13) && strings.Trim(s, "0123456789") == "" {
			return jsonDate(json.Number(s), layout, opts)
		}
		p, err := dates.Parse(s, layout, opts.Location)
		if err != nil {
			return nil
		}
		t = p
	default:
		return nil
	}
	if !dates.Plausible(t, opts.Now) {
		return nil
	}
	return &t
}
