// Package sarif writes harden --check's findings as a SARIF 2.1.0 log, the format code scanning
// reads to annotate pull requests: one rule per kind of problem, one result per container and
// problem, located at the line and column of what must change (the key to edit, or the
// container where a key is missing), with harden's own edit of that container as the fix. It is
// built from harden's report (what harden decided) and the file's bytes (where things are).
package sarif

// The subset of SARIF 2.1.0 (OASIS, sarif-schema-2.1.0.json) this tool writes.

const (
	Version = "2.1.0"
	Schema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

type Run struct {
	Tool        Tool         `json:"tool"`
	Invocations []Invocation `json:"invocations"`
	// ColumnKind: columns count Unicode code points, as YAML parsers do.
	ColumnKind string   `json:"columnKind"`
	Results    []Result `json:"results"`
}

type Tool struct {
	Driver Driver `json:"driver"`
}

type Driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri"`
	Rules          []Rule `json:"rules"`
}

type Rule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     Message         `json:"shortDescription"`
	FullDescription      Message         `json:"fullDescription"`
	Help                 Help            `json:"help"`
	HelpURI              string          `json:"helpUri"`
	DefaultConfiguration Configuration   `json:"defaultConfiguration"`
	Properties           *RuleProperties `json:"properties,omitempty"`
}

type Help struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type Configuration struct {
	Level string `json:"level"`
}

// RuleProperties are GitHub code scanning's: tags, and a CVSS-like severity for security rules.
type RuleProperties struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
}

type Invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ExitCode                   *int           `json:"exitCode,omitempty"`
	ToolExecutionNotifications []Notification `json:"toolExecutionNotifications,omitempty"`
}

type Notification struct {
	Level     string     `json:"level"`
	Message   Message    `json:"message"`
	Locations []Location `json:"locations,omitempty"`
}

type Message struct {
	Text string `json:"text"`
}

type Result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             Message           `json:"message"`
	Locations           []Location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Fixes               []Fix             `json:"fixes,omitempty"`
	Properties          *ResultProperties `json:"properties,omitempty"`
}

// ResultProperties name what the result is about, for scripts.
type ResultProperties struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Container string `json:"container"`
	Document  int    `json:"document"`
}

type Location struct {
	PhysicalLocation PhysicalLocation  `json:"physicalLocation"`
	LogicalLocations []LogicalLocation `json:"logicalLocations,omitempty"`
}

type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

type ArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// Region is 1-based; EndColumn is one past the last character.
type Region struct {
	StartLine   int      `json:"startLine"`
	StartColumn int      `json:"startColumn,omitempty"`
	EndLine     int      `json:"endLine,omitempty"`
	EndColumn   int      `json:"endColumn,omitempty"`
	Snippet     *Snippet `json:"snippet,omitempty"`
}

type Snippet struct {
	Text string `json:"text"`
}

type LogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type Fix struct {
	Description     Message          `json:"description"`
	ArtifactChanges []ArtifactChange `json:"artifactChanges"`
}

type ArtifactChange struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Replacements     []Replacement    `json:"replacements"`
}

type Replacement struct {
	DeletedRegion   Region   `json:"deletedRegion"`
	InsertedContent *Content `json:"insertedContent,omitempty"`
}

type Content struct {
	Text string `json:"text"`
}
