//go:build unix

package kubectl_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// withUser starts test/fakeapi accepting token and returns a kubeconfig for it whose user is
// authInfo instead of a static token.
func withUser(t *testing.T, token string, authInfo *clientcmdapi.AuthInfo) string {
	t.Helper()
	s, err := fakeapi.New(fakeapi.Options{Token: token, Exec: fakeapi.Canned(map[string]string{"/bin/sh": probe})},
		fakeapi.Pod("default", "web", "app"), fakeapi.Node(fakeapi.DefaultNode, "containerd://1.6.20"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	path, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AuthInfos[fakeapi.ContextName] = authInfo
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// showReads runs `kubectl caps show -o json` through the real kubectl and checks the one pod was
// read live, which needs both a list of pods and an exec, each authenticated.
func showReads(t *testing.T, dir, kc string) {
	t.Helper()
	out, stderr, code := kubectl(t, dir, kc, "caps", "show", "-o", "json")
	if code != 0 {
		t.Fatalf("show: exit %d\n%s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Containers) != 1 || r.Containers[0].Live == nil {
		t.Fatalf("show -o json: want one live row: %v\n%s\n%s", err, out, stderr)
	}
}

// TestExecCredentialPlugin: a kubeconfig whose user is an exec credential plugin (as EKS, GKE,
// AKS and OIDC login helpers use) works: the plugin runs and its token reaches the API server.
func TestExecCredentialPlugin(t *testing.T) {
	dir := pluginDir(t)
	const token = "exec-plugin-token-4711"
	tmp := t.TempDir()
	calls := filepath.Join(tmp, "calls")
	script := filepath.Join(tmp, "credential-helper")
	expiry := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	os.WriteFile(script, []byte("#!/bin/sh\necho called >> '"+calls+"'\n"+
		`printf '%s\n' '{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": "`+token+`", "expirationTimestamp": "`+expiry+`"}}'`+"\n"), 0o755)
	kc := withUser(t, token, &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1",
		Command:         script,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}})
	showReads(t, dir, kc)
	if b, err := os.ReadFile(calls); err != nil || !strings.Contains(string(b), "called") {
		t.Errorf("the credential plugin was not run: %v", err)
	}

	// A plugin that fails is reported, not hidden.
	os.WriteFile(script, []byte("#!/bin/sh\necho 'login expired, run: helper login' >&2\nexit 3\n"), 0o755)
	_, stderr, code := kubectl(t, dir, kc, "caps", "show")
	if code == 0 || !strings.Contains(stderr, "credential-helper") {
		t.Errorf("failing credential plugin: exit %d, stderr %q", code, stderr)
	}
}

// TestOIDCAuthProvider: a kubeconfig with the in-tree oidc auth provider is accepted (its import
// in cmd/kubectl-caps/main.go); an unexpired id-token is sent as the bearer token without
// contacting the issuer, so an unsigned JWT with a future exp is enough here.
func TestOIDCAuthProvider(t *testing.T) {
	dir := pluginDir(t)
	enc := base64.RawURLEncoding.EncodeToString
	idToken := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"iss":"https://issuer.invalid","sub":"alice","aud":"kubectl","exp":%d}`, time.Now().Add(time.Hour).Unix()))) + "."
	kc := withUser(t, idToken, &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{
		Name: "oidc",
		Config: map[string]string{
			"idp-issuer-url": "https://issuer.invalid",
			"client-id":      "kubectl",
			"id-token":       idToken,
			"refresh-token":  "unused",
		},
	}})
	showReads(t, dir, kc)
}
