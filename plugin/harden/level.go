package harden

import (
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// LevelResult is a Pod Security Standards evaluation of one hardened pod template.
type LevelResult struct {
	Level      string   `json:"level"`
	Version    string   `json:"version"`
	Allowed    bool     `json:"allowed"`
	Violations []string `json:"violations,omitempty"`
}

var (
	evaluatorOnce sync.Once
	evaluator     policy.Evaluator
	evaluatorErr  error
)

// EvaluateLevel checks a pod template (metadata and spec as plain values) against a Pod
// Security Standards level with the same checks the API server's admission plugin runs.
func EvaluateLevel(level string, meta, spec map[string]any) (LevelResult, error) {
	res := LevelResult{Level: level, Version: "latest"}
	lvl, err := psaapi.ParseLevel(level)
	if err != nil {
		return res, err
	}
	evaluatorOnce.Do(func() { evaluator, evaluatorErr = policy.NewEvaluator(policy.DefaultChecks(), nil) })
	if evaluatorErr != nil {
		return res, evaluatorErr
	}
	var podMeta metav1.ObjectMeta
	var podSpec corev1.PodSpec
	if err := viaJSON(meta, &podMeta); err != nil {
		return res, fmt.Errorf("cannot read the pod template's metadata: %v", err)
	}
	if err := viaJSON(spec, &podSpec); err != nil {
		return res, fmt.Errorf("cannot read the pod spec: %v", err)
	}
	agg := policy.AggregateCheckResults(evaluator.EvaluatePod(psaapi.LevelVersion{Level: lvl, Version: psaapi.LatestVersion()}, &podMeta, &podSpec))
	res.Allowed = agg.Allowed
	for i, r := range agg.ForbiddenReasons {
		v := r
		if i < len(agg.ForbiddenDetails) && agg.ForbiddenDetails[i] != "" {
			v += " (" + agg.ForbiddenDetails[i] + ")"
		}
		res.Violations = append(res.Violations, v)
	}
	return res, nil
}

func viaJSON(in any, out any) error {
	if in == nil {
		return nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
