package harden

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// largestCorpusFile is the biggest real manifest, the one the speed goal is stated for.
func largestCorpusFile(b *testing.B) []byte {
	var best []byte
	for _, p := range corpusFiles(b) {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if len(data) > len(best) {
			best = data
		}
	}
	return best
}

// parseEmit is the yardstick: what a tool that re-emits the document through the same YAML
// library pays (and it loses comments' placement, quoting and layout doing so).
func parseEmit(data []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := enc.Encode(&n); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), enc.Close()
}

// BenchmarkHarden hardens the largest corpus file and reports the time as a ratio to a plain
// yaml.v3 parse + emit of the same bytes (x-parse-emit; the goal is at most 3).
func BenchmarkHarden(b *testing.B) {
	data := largestCorpusFile(b)
	b.SetBytes(int64(len(data)))
	var baseline time.Duration
	const rounds = 3
	for i := 0; i < rounds; i++ {
		start := time.Now()
		if _, err := parseEmit(data); err != nil {
			b.Fatal(err)
		}
		baseline += time.Since(start)
	}
	baseline /= rounds
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := File(context.Background(), "bench", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(baseline), "x-parse-emit")
}
