package fakeapi

import (
	"encoding/pem"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ContextName is the kubeconfig context WriteKubeconfig creates.
const ContextName = "fakeapi"

// caPEM is the PEM of httptest's self-signed certificate, which clients must trust.
func (s *Server) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}

// WriteKubeconfig writes dir/kubeconfig pointing at the server (certificate-authority-data and
// a bearer token, current context "fakeapi", namespace "default") and returns its path. kubectl,
// kubectl-caps and client-go all read it as they would a real cluster's.
func (s *Server) WriteKubeconfig(dir string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: s.URL(), CertificateAuthorityData: s.caPEM()}
	cfg.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{Token: s.opts.Token}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName, Namespace: "default"}
	cfg.CurrentContext = ContextName
	path := filepath.Join(dir, "kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// RESTConfig is a client-go config for the server, for in-process clients.
func (s *Server) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:            s.URL(),
		BearerToken:     s.opts.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: s.caPEM()},
		QPS:             -1, // no client-side rate limit against a local test server
	}
}
