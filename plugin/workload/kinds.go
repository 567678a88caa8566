package workload

// Kind is a built-in kind that runs pods, with the names kubectl accepts for it.
type Kind struct {
	Kind     string   // Deployment
	Resource string   // deployments
	Aliases  []string // deployment, deploy: singular and short names
}

// Kinds are the built-in kinds whose pods show reads and whose templates harden rewrites (harden
// also takes PodTemplate, List items and custom resources with a pod template; show takes custom
// resources with a spec.selector). Completion and help are derived from this list.
var Kinds = []Kind{
	{"Pod", "pods", []string{"pod", "po"}},
	{"Deployment", "deployments", []string{"deployment", "deploy"}},
	{"StatefulSet", "statefulsets", []string{"statefulset", "sts"}},
	{"DaemonSet", "daemonsets", []string{"daemonset", "ds"}},
	{"ReplicaSet", "replicasets", []string{"replicaset", "rs"}},
	{"ReplicationController", "replicationcontrollers", []string{"replicationcontroller", "rc"}},
	{"Job", "jobs", []string{"job"}},
	{"CronJob", "cronjobs", []string{"cronjob", "cj"}},
}

// IsTypeName reports whether s names one of Kinds the way a first argument of kubectl get may
// ("deploy", "deployments", "Deployment" is not one: kubectl takes resources, not kinds).
func IsTypeName(s string) bool {
	for _, k := range Kinds {
		if s == k.Resource {
			return true
		}
		for _, a := range k.Aliases {
			if s == a {
				return true
			}
		}
	}
	return false
}
