package tracereport

// Workload names the object that runs a traced pod, found from the pod's controller owner
// reference and, for a ReplicaSet or a Job, its own (Deployment, CronJob); a bare pod is its own
// workload (Kind "Pod").
type Workload struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}
