package scan

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

const portStartSysctl = "net.ipv4.ip_unprivileged_port_start"

// declaredPortStart is the pod's own ip_unprivileged_port_start sysctl, which the kubelet has the
// runtime set in the pod's network namespace; nil when the pod sets none.
func declaredPortStart(pod *corev1.Pod) *int {
	if pod == nil || pod.Spec.SecurityContext == nil {
		return nil
	}
	for _, s := range pod.Spec.SecurityContext.Sysctls {
		if s.Name == portStartSysctl {
			if n, err := strconv.Atoi(s.Value); err == nil && n >= 0 && n <= 65536 {
				return &n
			}
		}
	}
	return nil
}

// fillPortStart gives a reading that could not read ip_unprivileged_port_start (the node agent
// without setns) the value the pod declares, so harden's evidence still knows port 80 needs no
// NET_BIND_SERVICE in a pod that sets it to 0.
func fillPortStart(r *Result, pod *corev1.Pod) {
	if r.Reading == nil || r.Reading.PortStart != nil {
		return
	}
	if v := declaredPortStart(pod); v != nil {
		r.Reading.PortStart = v
		r.Reading.Problems = append(r.Reading.Problems, "ip_unprivileged_port_start taken from the pod's sysctls: the reading could not see it")
	}
}
