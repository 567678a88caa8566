package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// minimalKubeconfig is enough for ToRESTConfig; nothing connects to it.
func minimalKubeconfig(t *testing.T) string {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600)
	return kc
}

// TestRateLimitDefaultsAndExplicit: unset QPS/burst become 50/100 (client-go's 5/10 would make a
// scan of thousands of pods wait on the client); a caller's own values, including a negative QPS
// (no client-side limiter), are kept.
func TestRateLimitDefaultsAndExplicit(t *testing.T) {
	kc := minimalKubeconfig(t)
	for _, tc := range []struct {
		name             string
		qps              float32
		burst            int
		wantQPS          float32
		wantBurst        int
		setQPS, setBurst bool
	}{
		{name: "unset", wantQPS: 50, wantBurst: 100},
		{name: "explicit", qps: 7, burst: 9, setQPS: true, setBurst: true, wantQPS: 7, wantBurst: 9},
		{name: "qps only", qps: 200, setQPS: true, wantQPS: 200, wantBurst: 100},
		{name: "limiter off", qps: -1, setQPS: true, wantQPS: -1, wantBurst: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := genericclioptions.NewConfigFlags(true)
			f.KubeConfig = &kc
			f.WithWrapConfigFn(func(c *rest.Config) *rest.Config {
				if tc.setQPS {
					c.QPS = tc.qps
				}
				if tc.setBurst {
					c.Burst = tc.burst
				}
				return c
			})
			c, err := newRateLimitedGetter(f).ToRESTConfig()
			if err != nil {
				t.Fatal(err)
			}
			if c.QPS != tc.wantQPS || c.Burst != tc.wantBurst {
				t.Errorf("QPS/burst = %v/%d, want %v/%d", c.QPS, c.Burst, tc.wantQPS, tc.wantBurst)
			}
		})
	}
}

// TestRequestTimeoutReachesRESTConfig: --request-timeout on the real root command ends up in the
// REST config every client of the factory is built from, together with the raised limits.
func TestRequestTimeoutReachesRESTConfig(t *testing.T) {
	kc := minimalKubeconfig(t)
	var got *rest.Config
	restconfig := func(f cmdutil.Factory) *cobra.Command {
		return &cobra.Command{Use: "restconfig", RunE: func(*cobra.Command, []string) error {
			var err error
			got, err = f.ToRESTConfig()
			return err
		}}
	}
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{[]string{"--request-timeout", "7s"}, 7 * time.Second},
		{[]string{"--request-timeout", "250ms"}, 250 * time.Millisecond},
		{nil, 0},
	} {
		var out, errOut strings.Builder
		root := newCmdCaps(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, restconfig)
		root.SetArgs(append(append([]string{"--kubeconfig", kc}, tc.args...), "restconfig"))
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v %s", tc.args, err, errOut.String())
		}
		if got.Timeout != tc.want || got.QPS != 50 || got.Burst != 100 {
			t.Errorf("%v: timeout %s, QPS/burst %v/%d; want %s, 50/100", tc.args, got.Timeout, got.QPS, got.Burst, tc.want)
		}
	}
}
