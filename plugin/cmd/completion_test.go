package cmd

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/rest/fake"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	cmdtesting "k8s.io/kubectl/pkg/cmd/testing"
	"k8s.io/kubectl/pkg/scheme"
)

// completionFactory is a test factory whose API server knows pods web-1, web-2 and db-0,
// deployment web and namespaces default and prod in namespace "test", and whose kubeconfig has
// contexts dev and prod. Any other request fails the test.
func completionFactory(t *testing.T) *cmdtesting.TestFactory {
	t.Helper()
	kubeconfig := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"c-dev": {Server: "http://localhost:8080"}, "c-prod": {Server: "http://localhost:8080"}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"alice": {}, "bob": {}},
		Contexts:       map[string]*clientcmdapi.Context{"dev": {Cluster: "c-dev", AuthInfo: "alice", Namespace: "test"}, "prod": {Cluster: "c-prod", AuthInfo: "bob"}},
		CurrentContext: "dev",
	}
	tf := cmdtesting.NewTestFactory().WithNamespace("test").
		WithClientConfig(clientcmd.NewDefaultClientConfig(kubeconfig, &clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: "test"}}))
	t.Cleanup(tf.Cleanup)

	pod := func(name string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"}}
	}
	objects := map[string]runtime.Object{
		"/namespaces/test/pods":        &corev1.PodList{Items: []corev1.Pod{pod("web-1"), pod("web-2"), pod("db-0")}},
		"/namespaces/test/deployments": &appsv1.DeploymentList{Items: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "test"}}}},
		"/namespaces":                  &corev1.NamespaceList{Items: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, {ObjectMeta: metav1.ObjectMeta{Name: "prod"}}}},
	}
	codec := scheme.Codecs.LegacyCodec(scheme.Scheme.PrioritizedVersionsAllGroups()...)
	tf.UnstructuredClient = &fake.RESTClient{
		NegotiatedSerializer: resource.UnstructuredPlusDefaultContentConfig().NegotiatedSerializer,
		Client: fake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
			obj, ok := objects[req.URL.Path]
			if !ok || req.Method != http.MethodGet {
				t.Errorf("unexpected request %s %s", req.Method, req.URL.Path)
				return &http.Response{StatusCode: http.StatusNotFound, Header: cmdtesting.DefaultHeader(), Body: io.NopCloser(strings.NewReader(""))}, nil
			}
			return &http.Response{StatusCode: http.StatusOK, Header: cmdtesting.DefaultHeader(), Body: cmdtesting.ObjBody(codec, obj)}, nil
		}),
	}
	return tf
}

func TestWorkloadArgsCompletion(t *testing.T) {
	tf := completionFactory(t)
	complete := workloadArgsCompletion(tf)
	allTypes := []string{"cronjobs/", "daemonsets/", "deployments/", "jobs/", "pods/", "replicasets/", "replicationcontrollers/", "statefulsets/"}

	tests := []struct {
		name          string
		args          []string
		toComplete    string
		want          []string
		wantDirective cobra.ShellCompDirective
	}{
		{
			name: "first argument offers pod names and TYPE/ for kinds that hold pods",
			want: append([]string{"db-0", "web-1", "web-2"}, allTypes...), wantDirective: cobra.ShellCompDirectiveNoFileComp,
		},
		{
			name: "prefix filters pod names", toComplete: "we",
			want: []string{"web-1", "web-2"}, wantDirective: cobra.ShellCompDirectiveNoFileComp,
		},
		{
			name: "only TYPE/ left: no space after the slash", toComplete: "dep",
			want: []string{"deployments/"}, wantDirective: cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace,
		},
		{
			name: "TYPE/ completes names of that type", toComplete: "deployments/",
			want: []string{"deployments/web"}, wantDirective: cobra.ShellCompDirectiveNoFileComp,
		},
		{
			name: "TYPE/prefix filters names", toComplete: "pods/w",
			want: []string{"pods/web-1", "pods/web-2"}, wantDirective: cobra.ShellCompDirectiveNoFileComp,
		},
		{
			name: "after a bare TYPE the arguments are its names, without repeats", args: []string{"pods", "web-1"},
			want: []string{"db-0", "web-2"}, wantDirective: cobra.ShellCompDirectiveNoFileComp,
		},
		{
			name: "pod names already given are not offered again", args: []string{"web-1"}, toComplete: "web",
			want: []string{"web-2"}, wantDirective: cobra.ShellCompDirectiveNoFileComp,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(nil, tt.args, tt.toComplete)
			sort.Strings(got)
			sort.Strings(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Errorf("completions = %q, want %q", got, tt.want)
			}
			if directive != tt.wantDirective {
				t.Errorf("directive = %v, want %v", directive, tt.wantDirective)
			}
		})
	}
}

// newCompletionTestRoot builds a command tree shaped like NewCmdCaps' (the kubeconfig flags on
// the root, subcommands found by name) around the test factory. `show` and `harden` are
// stand-ins because their real constructors build their own flags; registerCompletions only
// looks at names and flags.
func newCompletionTestRoot(t *testing.T) (*cobra.Command, *bytes.Buffer) {
	t.Helper()
	tf := completionFactory(t)
	root := &cobra.Command{Use: "caps", SilenceUsage: true, SilenceErrors: true}
	for _, name := range []string{"namespace", "context", "cluster", "user", "kubeconfig"} {
		root.PersistentFlags().String(name, "", "")
	}
	root.PersistentFlags().Lookup("namespace").Shorthand = "n"
	run := func(*cobra.Command, []string) error { return nil }
	show := &cobra.Command{Use: "show", RunE: run}
	show.Flags().StringP("output", "o", "", "")
	show.Flags().StringP("container", "c", "", "")
	harden := &cobra.Command{Use: "harden", RunE: run}
	harden.Flags().StringP("output", "o", "", "")
	// A command's own completion must survive registerCompletions.
	if err := harden.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"own"}, cobra.ShellCompDirectiveNoFileComp)); err != nil {
		t.Fatal(err)
	}
	root.AddCommand(show, harden, NewCmdVersion(genericiooptions.NewTestIOStreamsDiscard()))
	registerCompletions(root, tf)

	out := &bytes.Buffer{}
	root.SetOut(out)
	root.SetErr(io.Discard)
	return root, out
}

func TestRegisterCompletions(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"show", ""}, "db-0\ncronjobs/\ndaemonsets/\ndeployments/\njobs/\npods/\nreplicasets/\nreplicationcontrollers/\nstatefulsets/\nweb-1\nweb-2\n:4\n"},
		{[]string{"show", "-n", ""}, "default\nprod\n:4\n"},
		{[]string{"show", "--namespace", "p"}, "prod\n:4\n"},
		{[]string{"show", "web-1", "--context", ""}, "dev\nprod\n:4\n"},
		{[]string{"show", "--cluster", "c-p"}, "c-prod\n:4\n"},
		{[]string{"show", "--user", "a"}, "alice\n:4\n"},
		{[]string{"show", "-o", ""}, "html\njson\ntable\nwide\nyaml\n:4\n"},
		{[]string{"harden", "-o", ""}, "own\n:4\n"},
		{[]string{"version", "-o", ""}, "json\nyaml\n:4\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root, out := newCompletionTestRoot(t)
			root.SetArgs(append([]string{cobra.ShellCompNoDescRequestCmd}, tt.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if got, want := sortedLines(out.String()), sortedLines(tt.want); !slices.Equal(got, want) {
				t.Errorf("__complete %q = %q, want %q", tt.args, got, want)
			}
		})
	}
}

// sortedLines makes completion output comparable: listers return names in map order.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(lines)
	return lines
}

// TestRealTreeCompletes checks that NewCmdCaps wires registerCompletions and the version and
// completion commands, with a kubeconfig whose server refuses connections.
func TestRealTreeCompletes(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "config")
	config := `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: me, user: {}}]
contexts: [{name: one, context: {cluster: local, user: me}}, {name: two, context: {cluster: local, user: me}}]
current-context: one
`
	if err := os.WriteFile(kubeconfig, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)

	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--context", ""}, []string{":4", "one", "two"}},
		{[]string{"version", "-o", ""}, []string{":4", "json", "yaml"}},
		{[]string{"completion", ""}, []string{":4", "bash", "fish", "powershell", "zsh"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root := NewCmdCaps(genericiooptions.NewTestIOStreamsDiscard())
			out := &bytes.Buffer{}
			root.SetOut(out)
			root.SetErr(io.Discard)
			root.SetArgs(append([]string{cobra.ShellCompNoDescRequestCmd}, tt.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if got := sortedLines(out.String()); !slices.Equal(got, tt.want) {
				t.Errorf("__complete %q = %q, want %q", tt.args, got, tt.want)
			}
		})
	}

	root := NewCmdCaps(genericiooptions.NewTestIOStreamsDiscard())
	out := &bytes.Buffer{}
	root.SetOut(out)
	root.SetArgs([]string{cobra.ShellCompNoDescRequestCmd, ""})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"completion", "version"} {
		if !strings.Contains(out.String(), sub+"\n") {
			t.Errorf("__complete '' does not offer %q:\n%s", sub, out)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	// Each script must register for the binary's file name and call it back for candidates;
	// a script for "caps" would complete nothing.
	tests := []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"__start_kubectl-caps", "complete -o default -F __start_kubectl-caps kubectl-caps"}},
		{"zsh", []string{"#compdef kubectl-caps", "compdef _kubectl-caps kubectl-caps"}},
		{"fish", []string{"complete -c kubectl-caps"}},
		{"powershell", []string{"Register-ArgumentCompleter -CommandName 'kubectl-caps'"}},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			streams, _, out, _ := genericiooptions.NewTestIOStreams()
			root := NewCmdCaps(streams)
			root.SetArgs([]string{"completion", tt.shell})
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s script lacks %q", tt.shell, w)
				}
			}
			if root.Use != "caps" {
				t.Errorf("root.Use = %q after generating, want it restored to caps", root.Use)
			}
		})
	}

	root := NewCmdCaps(genericiooptions.NewTestIOStreamsDiscard())
	root.SetArgs([]string{"completion", "tcsh"})
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), `invalid argument "tcsh"`) {
		t.Errorf("completion tcsh: err = %v, want an invalid argument error", err)
	}
}
