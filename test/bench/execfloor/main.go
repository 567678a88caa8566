// Command execfloor is the floor `kubectl caps show` is measured against on a real cluster: one
// no-op exec (default `true`) per running container, at a given concurrency, from one Go client
// using the same exec path as show (client-go WebSocket with SPDY fallback, plugin/collect's
// RemoteExecutor). Whatever show costs above this is its own work.
//
//	go run ./test/bench/execfloor -n bench-x -concurrency 16
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-caps/kubectl-caps/plugin/execreader"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig")
	namespace := flag.String("n", "default", "namespace (\"\" = all)")
	selector := flag.String("l", "", "label selector")
	concurrency := flag.Int("concurrency", execreader.DefaultConcurrency, "execs at once")
	command := flag.String("command", "true", "the no-op command")
	resume := flag.Bool("resume-tls", false, "resume TLS sessions across execs, as show does (default: a full handshake per exec, as kubectl exec)")
	flag.Parse()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(err)
	}
	cfg.QPS, cfg.Burst = 50, 100 // as show's client
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	start := time.Now()
	pods, err := cs.CoreV1().Pods(*namespace).List(context.Background(), metav1.ListOptions{LabelSelector: *selector})
	if err != nil {
		fail(err)
	}
	type target struct{ ns, pod, container string }
	var targets []target
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning {
			continue
		}
		for _, c := range p.Spec.Containers {
			targets = append(targets, target{p.Namespace, p.Name, c.Name})
		}
	}
	execCfg := cfg
	if *resume {
		execCfg = execreader.ResumeTLSSessions(cfg)
	}
	ex := &execreader.RemoteExecutor{Config: execCfg, Client: cs.CoreV1().RESTClient()}
	work := make(chan target)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if err := ex.Exec(ctx, t.ns, t.pod, t.container, []string{*command}, io.Discard, io.Discard); err != nil {
					failed.Add(1)
					fmt.Fprintf(os.Stderr, "%s/%s -c %s: %v\n", t.ns, t.pod, t.container, err)
				}
				cancel()
			}
		}()
	}
	for _, t := range targets {
		work <- t
	}
	close(work)
	wg.Wait()
	wall := time.Since(start)
	fmt.Printf("containers=%d concurrency=%d failed=%d wall=%.3fs execs/s=%.1f\n",
		len(targets), *concurrency, failed.Load(), wall.Seconds(), float64(len(targets))/wall.Seconds())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "execfloor:", err)
	os.Exit(1)
}
