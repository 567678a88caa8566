package cmd

import (
	"testing"

	"k8s.io/client-go/rest"
)

func TestNodeReaderLimits(t *testing.T) {
	for _, tc := range []struct {
		qps         float32
		burst, conc int
		wantQPS     float32
		wantBurst   int
	}{
		{50, 100, 16, 160, 320},    // show's defaults are raised to the agents' needs
		{500, 1000, 16, 500, 1000}, // higher limits are kept
		{-1, 100, 16, -1, 320},     // the limiter off stays off
		{50, 100, 0, 160, 320},     // default concurrency
	} {
		c := nodeReaderLimits(&rest.Config{QPS: tc.qps, Burst: tc.burst}, tc.conc)
		if c.QPS != tc.wantQPS || c.Burst != tc.wantBurst {
			t.Errorf("%v/%d at %d: got %v/%d, want %v/%d", tc.qps, tc.burst, tc.conc, c.QPS, c.Burst, tc.wantQPS, tc.wantBurst)
		}
	}
}
