package fakeapi_test

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// A test seeds the server, writes a kubeconfig and runs real clients against it. (Not run as
// a test: it needs kubectl on PATH; TestRealKubectlGet covers the same.)
func Example() {
	s, err := fakeapi.New(fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"cat": "hello\n"})},
		fakeapi.Objects(fakeapi.Pods(2, 1))...)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	dir, _ := os.MkdirTemp("", "fakeapi")
	defer os.RemoveAll(dir)
	kubeconfig, _ := s.WriteKubeconfig(dir)

	out, _ := exec.Command("kubectl", "--kubeconfig", kubeconfig, "get", "pods", "-A").CombinedOutput()
	fmt.Print(string(out))
	out, _ = exec.Command("kubectl", "--kubeconfig", kubeconfig, "exec", "-n", "scale-0", "pod-00001", "--", "cat", "/etc/motd").CombinedOutput()
	fmt.Print(string(out))
}
