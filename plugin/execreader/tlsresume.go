package execreader

import (
	"crypto/tls"
	"net/http"

	"k8s.io/client-go/rest"
)

// ResumeTLSSessions returns a copy of cfg whose exec connections share one TLS session cache.
// Every exec dials a connection of its own (a WebSocket or SPDY upgrade cannot share one), and
// client-go builds a fresh tls.Config for each, so each pays a full handshake: certificate chain
// verification here, a signature on the API server. That was almost all of show's CPU per exec.
// With a shared cache, the connections after the first resume the session the API server issued
// (TLS 1.3 tickets), with the same server authentication but without repeating it.
//
// The cache reaches each connection's tls.Config through WrapTransport, which client-go applies to
// the upgrade round tripper itself before adding authentication; round trippers that do not expose
// their TLS config are left as they are.
func ResumeTLSSessions(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	cache := tls.NewLRUClientSessionCache(64)
	prev := c.WrapTransport
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if h, ok := rt.(interface{ TLSClientConfig() *tls.Config }); ok {
			if tc := h.TLSClientConfig(); tc != nil && tc.ClientSessionCache == nil {
				tc.ClientSessionCache = cache
			}
		}
		if prev != nil {
			rt = prev(rt)
		}
		return rt
	}
	return c
}
