package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The benchmark itself needs a large database (go run ./bench/search);
// these checks keep it compiling and its statistics honest in `go test ./...`.

func TestPct(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if pct(d, 50) != 50*time.Millisecond || pct(d, 95) != 95*time.Millisecond || pct(d[:1], 95) != time.Millisecond {
		t.Fatalf("pct: %v %v", pct(d, 50), pct(d, 95))
	}
}

func TestZipfFavoursCommonWords(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 100)
	for range 100000 {
		counts[zipf(r, len(counts))]++
	}
	if counts[0] < 5*counts[50] || counts[99] == 0 {
		t.Fatalf("counts: first %d, middle %d, last %d", counts[0], counts[50], counts[99])
	}
}

func TestSentence(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	if s := sentence(r, true, 10); len([]rune(s)) < 11 {
		t.Fatalf("zh sentence %q", s)
	}
	if s := sentence(r, false, 10); len(s) < 20 {
		t.Fatalf("en sentence %q", s)
	}
}
