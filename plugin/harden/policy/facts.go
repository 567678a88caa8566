// Package policy is harden's decision policy: for one container at a time, the securityContext
// that drops every capability and adds back only those with a reason: a port below 1024 in the spec, a capability
// the manifest adds on purpose, or what the running workload was seen doing. It works on plain
// values (decoded manifests, hand-made evidence) and knows nothing of files or clusters.
package policy

import (
	"strconv"
)

// Pod holds the pod-level facts that decisions depend on.
type Pod struct {
	RunAsUser    *int64
	RunAsNonRoot *bool
	SeccompType  string // RuntimeDefault, Unconfined, Localhost or ""
	HostNetwork  bool
	Windows      bool // spec.os.name: windows
	// UnprivilegedPortStart is the pod's net.ipv4.ip_unprivileged_port_start sysctl, if set.
	UnprivilegedPortStart *int
	// HostPaths maps each hostPath volume's name to the node path it mounts.
	HostPaths map[string]string
}

// Container holds one container's facts as the manifest declares them.
type Container struct {
	Name    string
	Type    string // container, init, sidecar, ephemeral
	Image   string
	Command []string // command, as written (empty: the image's entrypoint)
	Args    []string
	Ports   []Port
	Mounts  []Mount
	SC      SecurityContext
}

// Port is one containerPort.
type Port struct {
	Number   int
	HostPort int
	Name     string
	Protocol string
}

// Mount is one volumeMount.
type Mount struct {
	Volume, Path string
}

// SecurityContext is the part of a container's securityContext that hardening reads.
type SecurityContext struct {
	Present                  bool
	Privileged               *bool
	AllowPrivilegeEscalation *bool
	RunAsUser                *int64
	RunAsNonRoot             *bool
	SeccompType              string
	Add, Drop                []string // as written
}

// PodFrom reads the facts from a pod spec as yaml.v3 decodes it.
func PodFrom(spec map[string]any) Pod {
	var p Pod
	if os, ok := spec["os"].(map[string]any); ok {
		p.Windows = str(os["name"]) == "windows"
	}
	p.HostNetwork = spec["hostNetwork"] == true
	sc, _ := spec["securityContext"].(map[string]any)
	p.RunAsUser = int64Ptr(sc["runAsUser"])
	p.RunAsNonRoot = boolPtr(sc["runAsNonRoot"])
	p.SeccompType = seccompType(sc)
	vols, _ := spec["volumes"].([]any)
	for _, v := range vols {
		m, _ := v.(map[string]any)
		if hp, ok := m["hostPath"].(map[string]any); ok {
			if p.HostPaths == nil {
				p.HostPaths = map[string]string{}
			}
			p.HostPaths[str(m["name"])] = str(hp["path"])
		}
	}
	sysctls, _ := sc["sysctls"].([]any)
	for _, s := range sysctls {
		m, _ := s.(map[string]any)
		if str(m["name"]) == "net.ipv4.ip_unprivileged_port_start" {
			if v, err := strconv.Atoi(str(m["value"])); err == nil {
				p.UnprivilegedPortStart = &v
			}
		}
	}
	return p
}

// ContainerFrom reads a container's facts as yaml.v3 decodes them.
func ContainerFrom(c map[string]any, typ string) Container {
	out := Container{Name: str(c["name"]), Type: typ, Image: str(c["image"]), Command: strs(c["command"]), Args: strs(c["args"])}
	ports, _ := c["ports"].([]any)
	for _, p := range ports {
		m, _ := p.(map[string]any)
		if n := int64Ptr(m["containerPort"]); n != nil {
			port := Port{Number: int(*n), Name: str(m["name"]), Protocol: str(m["protocol"])}
			if h := int64Ptr(m["hostPort"]); h != nil {
				port.HostPort = int(*h)
			}
			out.Ports = append(out.Ports, port)
		}
	}
	mounts, _ := c["volumeMounts"].([]any)
	for _, v := range mounts {
		m, _ := v.(map[string]any)
		out.Mounts = append(out.Mounts, Mount{Volume: str(m["name"]), Path: str(m["mountPath"])})
	}
	sc, ok := c["securityContext"].(map[string]any)
	if !ok {
		return out
	}
	out.SC.Present = true
	out.SC.Privileged = boolPtr(sc["privileged"])
	out.SC.AllowPrivilegeEscalation = boolPtr(sc["allowPrivilegeEscalation"])
	out.SC.RunAsUser = int64Ptr(sc["runAsUser"])
	out.SC.RunAsNonRoot = boolPtr(sc["runAsNonRoot"])
	out.SC.SeccompType = seccompType(sc)
	if caps, ok := sc["capabilities"].(map[string]any); ok {
		out.SC.Add = strs(caps["add"])
		out.SC.Drop = strs(caps["drop"])
	}
	return out
}

func seccompType(sc map[string]any) string {
	sp, _ := sc["seccompProfile"].(map[string]any)
	return str(sp["type"])
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func boolPtr(v any) *bool {
	b, ok := v.(bool)
	if !ok {
		return nil
	}
	return &b
}

func int64Ptr(v any) *int64 {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case uint64:
		n = int64(x)
	default:
		return nil
	}
	return &n
}
