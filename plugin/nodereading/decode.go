package nodereading

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNotReading is wrapped when the bytes are not a NodeReading at all (the image is not the
// agent, or printed something else first); the caller shows the start of the output instead.
var ErrNotReading = errors.New("not a NodeReading document")

// Decode parses the agent's output: one JSON document, possibly followed or preceded by blank
// lines. It enforces every bound of the package, so a caller can keep what it returns.
func Decode(data []byte) (*Document, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("the agent printed %d bytes, more than the %d a reading may have", len(data), MaxBytes)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, fmt.Errorf("%w: the output does not start with '{'", ErrNotReading)
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotReading, err)
	}
	if head.Kind != Kind || head.APIVersion != APIVersion {
		return nil, fmt.Errorf("%w: it is %q %q, want %s %s (is --agent-image a kubectl-caps agent of this version?)",
			ErrNotReading, clip(head.APIVersion), clip(head.Kind), APIVersion, Kind)
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("the agent's reading does not decode: %v", err)
	}
	if err := d.checkBounds(); err != nil {
		return nil, fmt.Errorf("the agent's reading is out of bounds: %w", err)
	}
	return &d, nil
}

func (d *Document) checkBounds() error {
	if len(d.Containers) > MaxContainers {
		return fmt.Errorf("%d containers", len(d.Containers))
	}
	if len(d.NetNamespaces) > MaxNetNamespaces {
		return fmt.Errorf("%d network namespaces", len(d.NetNamespaces))
	}
	if err := checkTexts("problems", d.Problems); err != nil {
		return err
	}
	if len(d.Error) > MaxTextLen || len(d.Node) > MaxTextLen || len(d.Agent.Version) > MaxTextLen {
		return errors.New("a text field is too long")
	}
	procs := 0
	for _, c := range d.Containers {
		procs += len(c.Processes)
		if procs > MaxProcesses {
			return fmt.Errorf("more than %d processes", MaxProcesses)
		}
		for _, p := range c.Processes {
			if len(p.Sockets) > MaxSocketsPerProcess {
				return fmt.Errorf("pid %d holds %d sockets, more than %d", p.PID, len(p.Sockets), MaxSocketsPerProcess)
			}
			if len(p.Exe) > MaxTextLen || len(p.ExeError) > MaxTextLen || len(p.FDError) > MaxTextLen {
				return fmt.Errorf("pid %d: a text field is too long", p.PID)
			}
		}
	}
	socks := 0
	for _, n := range d.NetNamespaces {
		socks += len(n.Sockets)
		if socks > MaxSockets {
			return fmt.Errorf("more than %d sockets", MaxSockets)
		}
		if err := checkTexts("netns problems", n.Problems); err != nil {
			return err
		}
		if len(n.PortStartError) > MaxTextLen {
			return errors.New("portStartError is too long")
		}
		if n.PortStart != nil && (*n.PortStart < 0 || *n.PortStart > 65536) {
			return fmt.Errorf("portStart %d out of range", *n.PortStart)
		}
	}
	return nil
}

func checkTexts(what string, list []string) error {
	if len(list) > MaxProblems {
		return fmt.Errorf("%d %s, more than %d", len(list), what, MaxProblems)
	}
	for _, s := range list {
		if len(s) > MaxTextLen {
			return fmt.Errorf("one of the %s is longer than %d bytes", what, MaxTextLen)
		}
	}
	return nil
}
