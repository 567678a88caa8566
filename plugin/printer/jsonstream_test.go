package printer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// The streamed document must be the same bytes as the one-piece encoding, for any number of
// containers, so scripts and goldens cannot tell them apart.
func TestJSONStreamMatchesJSON(t *testing.T) {
	full := loadReport(t)
	for _, n := range []int{0, 1, len(full.Containers)} {
		r := report.New()
		r.Containers = append(r.Containers, full.Containers[:n]...)
		var want, got bytes.Buffer
		if err := JSON(&want, r); err != nil {
			t.Fatal(err)
		}
		s := NewJSONStream(&got, r)
		for _, c := range r.Containers {
			s.Add(c)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%d containers: streamed JSON differs:\n--- got\n%s\n--- want\n%s", n, got.Bytes(), want.Bytes())
		}
	}
}

func BenchmarkJSON(b *testing.B) {
	r := report.New()
	full := loadReportB(b)
	for len(r.Containers) < 1000 {
		r.Containers = append(r.Containers, full.Containers...)
	}
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var buf bytes.Buffer
			if err := JSON(&buf, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var buf bytes.Buffer
			s := NewJSONStream(&buf, r)
			for _, c := range r.Containers {
				s.Add(c)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func loadReportB(b *testing.B) *report.Report {
	data, err := os.ReadFile(filepath.Join("testdata", "report.json"))
	if err != nil {
		b.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatal(err)
	}
	return &r
}
