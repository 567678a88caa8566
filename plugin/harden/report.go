package harden

import "github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"

// The JSON report of a harden run (--report FILE). Field names are part of the product's
// interface: add fields, never rename or remove them within one apiVersion.
const (
	ReportAPIVersion = "caps.kubectl.io/v1alpha1"
	ReportKind       = "HardenReport"
)

// Report is the whole answer of one harden run.
type Report struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Files      []FileReport `json:"files"`
}

// NewReport returns an empty report with its version fields set.
func NewReport() *Report {
	return &Report{APIVersion: ReportAPIVersion, Kind: ReportKind, Files: []FileReport{}}
}

// FileReport is one input: a file, stdin ("-") or a live object ("deployment/web").
type FileReport struct {
	Name      string           `json:"name"`
	Changed   bool             `json:"changed"`
	Error     string           `json:"error,omitempty"`
	Workloads []WorkloadReport `json:"workloads"`
}

// WorkloadReport is one pod template.
type WorkloadReport struct {
	Document    int                 `json:"document"` // 1-based, among the file's documents
	Line        int                 `json:"line"`     // line of the object in the file
	APIVersion  string              `json:"apiVersion,omitempty"`
	Kind        string              `json:"kind"`
	Name        string              `json:"name,omitempty"`
	Namespace   string              `json:"namespace,omitempty"`
	Item        *int                `json:"item,omitempty"` // index in a List
	Path        string              `json:"path"`           // of the pod spec: spec.template.spec
	Containers  []ContainerReport   `json:"containers"`
	Evidence    string              `json:"evidence,omitempty"` // why live evidence is missing, if asked for
	PodSecurity *policy.LevelResult `json:"podSecurity,omitempty"`
	Error       string              `json:"error,omitempty"`
}

// ContainerReport says what happened to one container's securityContext and why.
type ContainerReport struct {
	Name         string             `json:"name"`
	Type         string             `json:"type"` // container, init, sidecar, ephemeral
	Changed      bool               `json:"changed"`
	Skipped      string             `json:"skipped,omitempty"`
	Before       map[string]any     `json:"before,omitempty"` // securityContext as written
	After        map[string]any     `json:"after,omitempty"`  // securityContext after hardening
	Changes      []string           `json:"changes,omitempty"`
	Capabilities []policy.CapReason `json:"capabilities,omitempty"`
	Notes        []string           `json:"notes,omitempty"`
	Warnings     []string           `json:"warnings,omitempty"`
	Evidence     *policy.Evidence   `json:"evidence,omitempty"`
}
