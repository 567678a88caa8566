package cmd

import (
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// rateLimitedGetter raises client-go's default client-side limits (QPS 5, burst 10), which would
// make a scan of thousands of pods wait on the limiter instead of the API server. The API server's
// own priority and fairness still protects it.
type rateLimitedGetter struct {
	*genericclioptions.ConfigFlags
}

func newRateLimitedGetter(f *genericclioptions.ConfigFlags) rateLimitedGetter {
	return rateLimitedGetter{f}
}

func (g rateLimitedGetter) ToRESTConfig() (*rest.Config, error) {
	c, err := g.ConfigFlags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	if c.QPS == 0 {
		c.QPS = 50
	}
	if c.Burst == 0 {
		c.Burst = 100
	}
	return c, nil
}
