// Package declared reads what a pod spec says about one container's privileges, combining the
// pod-level and container-level securityContext the way the kubelet does (container wins).
package declared

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// Of combines pod and container security contexts into the declared summary.
func Of(spec *corev1.PodSpec, c containers.Ref) report.Declared {
	d := report.Declared{HostPID: spec.HostPID}
	if spec.ShareProcessNamespace != nil {
		d.ShareProcessNamespace = *spec.ShareProcessNamespace
	}
	if psc := spec.SecurityContext; psc != nil {
		d.RunAsUser = psc.RunAsUser
		d.RunAsGroup = psc.RunAsGroup
		d.RunAsNonRoot = psc.RunAsNonRoot
		d.Seccomp = seccompString(psc.SeccompProfile)
	}
	sc := c.SC
	if sc == nil {
		return d
	}
	if sc.Privileged != nil {
		d.Privileged = *sc.Privileged
	}
	if sc.RunAsUser != nil {
		d.RunAsUser = sc.RunAsUser
	}
	if sc.RunAsGroup != nil {
		d.RunAsGroup = sc.RunAsGroup
	}
	if sc.RunAsNonRoot != nil {
		d.RunAsNonRoot = sc.RunAsNonRoot
	}
	if sc.SeccompProfile != nil {
		d.Seccomp = seccompString(sc.SeccompProfile)
	}
	d.AllowPrivilegeEscalation = sc.AllowPrivilegeEscalation
	if caps := sc.Capabilities; caps != nil {
		for _, a := range caps.Add {
			d.Add = append(d.Add, string(a))
		}
		for _, r := range caps.Drop {
			d.Drop = append(d.Drop, string(r))
		}
	}
	return d
}

func seccompString(p *corev1.SeccompProfile) string {
	if p == nil {
		return ""
	}
	if p.Type == corev1.SeccompProfileTypeLocalhost && p.LocalhostProfile != nil {
		return "Localhost/" + *p.LocalhostProfile
	}
	return string(p.Type)
}
