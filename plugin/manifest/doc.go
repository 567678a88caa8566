// Package manifest edits Kubernetes manifests (YAML streams, KYAML, JSON) in place, on their raw
// bytes: it splits a stream into documents, parses each with yaml.v3 only to learn where nodes
// are, and splices small text edits at those positions. Everything it is not asked to change —
// comments, key order, quoting, indentation, flow style, document separators, line endings —
// stays byte for byte, because no encoder ever re-emits the document.
//
// Every edited document is parsed again and compared with what was asked for; an edit that would
// change anything else is refused with an error, never written.
package manifest
