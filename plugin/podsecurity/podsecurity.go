// Package podsecurity evaluates pod specs against the Pod Security Standards with the same code
// the API server's admission plugin runs (k8s.io/pod-security-admission), so our verdict matches
// what a namespace label would enforce.
package podsecurity

import (
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

var (
	evalOnce  sync.Once
	evaluator policy.Evaluator
	evalErr   error
)

func getEvaluator() (policy.Evaluator, error) {
	evalOnce.Do(func() {
		evaluator, evalErr = policy.NewEvaluator(policy.DefaultChecks(), nil)
	})
	return evaluator, evalErr
}

// Violations lists what keeps the pod from meeting level ("baseline" or "restricted") at the
// latest policy version, as "reason: detail" lines.
func Violations(level string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) ([]string, error) {
	lvl, err := psaapi.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	ev, err := getEvaluator()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range ev.EvaluatePod(psaapi.LevelVersion{Level: lvl, Version: psaapi.LatestVersion()}, meta, spec) {
		if !r.Allowed {
			out = append(out, fmt.Sprintf("%s: %s", r.ForbiddenReason, r.ForbiddenDetail))
		}
	}
	return out, nil
}

// Evaluate returns the highest level the pod meets and, if that is not restricted, what keeps it
// from the next level up.
func Evaluate(meta *metav1.ObjectMeta, spec *corev1.PodSpec) *report.PodSecurity {
	restricted, err := Violations("restricted", meta, spec)
	if err != nil {
		return &report.PodSecurity{Level: "unknown", Violations: []string{err.Error()}}
	}
	if len(restricted) == 0 {
		return &report.PodSecurity{Level: "restricted"}
	}
	baseline, _ := Violations("baseline", meta, spec)
	if len(baseline) == 0 {
		return &report.PodSecurity{Level: "baseline", Violations: restricted}
	}
	return &report.PodSecurity{Level: "privileged", Violations: baseline}
}
