package policy

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/podsecurity"
)

// LevelResult is a Pod Security Standards evaluation of one hardened pod template.
type LevelResult struct {
	Level      string   `json:"level"`
	Version    string   `json:"version"`
	Allowed    bool     `json:"allowed"`
	Violations []string `json:"violations,omitempty"`
}

// EvaluateLevel checks a pod template (metadata and spec as plain values) against a Pod
// Security Standards level with the same checks the API server's admission plugin runs.
func EvaluateLevel(level string, meta, spec map[string]any) (LevelResult, error) {
	res := LevelResult{Level: level, Version: "latest"}
	var podMeta metav1.ObjectMeta
	var podSpec corev1.PodSpec
	if err := viaJSON(meta, &podMeta); err != nil {
		return res, fmt.Errorf("cannot read the pod template's metadata: %v", err)
	}
	if err := viaJSON(spec, &podSpec); err != nil {
		return res, fmt.Errorf("cannot read the pod spec: %v", err)
	}
	v, err := podsecurity.Violations(level, &podMeta, &podSpec)
	if err != nil {
		return res, err
	}
	res.Allowed, res.Violations = len(v) == 0, v
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
