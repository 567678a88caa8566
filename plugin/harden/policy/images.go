package policy

import (
	"strings"
)

// imageEntry is what harden knows, without running anything, about what a well-known image's
// upstream entrypoint needs. Every entry names the upstream files and lines it was read from;
// an entry that cannot cite its source does not belong here.
type imageEntry struct {
	name  string   // how the report names the image
	repos []string // repositories, as imageRepo normalises them
	// tag, when set, must occur in the image's tag ("apache" for php:8.3-apache).
	tag string
	// containers, when set, are the container names this entry is for: one image that plays
	// several roles (cilium's agent and its init containers).
	containers []string
	// runsAs says who the entrypoint runs as, for the report.
	runsAs string
	// uid is the image's USER when it is not root; nil: the image starts as root.
	uid      *int64
	needs    []imageNeed
	fileCaps []string // capabilities its binaries carry as file capabilities (setcap)
	// privileged says why nothing but privileged: true runs it.
	privileged string
	source     string
}

type imageNeed struct {
	cap, why string
	port     int // for NET_BIND_SERVICE: the port the image listens on by default
}

func uid(n int64) *int64 { return &n }

// images is the table. Keep it short and exact: a wrong entry breaks a workload that harden
// claimed to understand. Entries marked "run" were run hardened on this project's e2e cluster
// (test/e2e/harden_web_test.go); the others are read from the upstream files cited.
var images = []imageEntry{{
	name:   "nginx",
	repos:  []string{"docker.io/library/nginx", "public.ecr.aws/nginx/nginx", "mirror.gcr.io/library/nginx"},
	runsAs: "root: the master creates its temp directories, chowns them to user nginx (101) and its workers switch to that user",
	needs: []imageNeed{
		{"CHOWN", "the master chowns the temp paths it creates to the worker user (src/core/ngx_file.c:632)", 0},
		{"SETGID", "workers setgid and initgroups to the worker's group (src/os/unix/ngx_process_cycle.c:800,807)", 0},
		{"SETUID", "workers setuid to the worker user (src/os/unix/ngx_process_cycle.c:824)", 0},
		{"NET_BIND_SERVICE", "the default server listens on port 80 (mainline/debian/Dockerfile:145 EXPOSE 80)", 80},
	},
	source: "nginx/docker-nginx@0d7f4380 mainline/debian/Dockerfile:19-20 (user nginx, uid 101; no USER, so root), 143-149 (entrypoint, CMD nginx); nginx/nginx@3f6f7824 src/core/ngx_file.c:632, src/os/unix/ngx_process_cycle.c:799-826; run: Debian 12's nginx package (under the nginx-light metapackage) in test/e2e harden_web_test.go",
}, {
	name:   "httpd",
	repos:  []string{"docker.io/library/httpd", "public.ecr.aws/docker/library/httpd"},
	runsAs: "root: the parent binds the port, its children switch to www-data",
	needs: []imageNeed{
		{"SETGID", "children setgid and initgroups to Group www-data (modules/arch/unix/mod_unixd.c:120,129)", 0},
		{"SETUID", "children setuid to User www-data (modules/arch/unix/mod_unixd.c:188)", 0},
		{"NET_BIND_SERVICE", "Listen 80 (2.4/Dockerfile:233 EXPOSE 80)", 80},
	},
	source: "docker-library/httpd@9b63b37c 2.4/Dockerfile:203-204 (User/Group www-data), 233-234 (EXPOSE 80, CMD httpd-foreground); apache/httpd@0cb68044 modules/arch/unix/mod_unixd.c:120-188; run: Debian 12's apache2 in test/e2e harden_web_test.go",
}, {
	name:   "php (apache)",
	repos:  []string{"docker.io/library/php"},
	tag:    "apache",
	runsAs: "root: Debian's apache2 binds the port, its children switch to APACHE_RUN_USER www-data",
	needs: []imageNeed{
		{"SETGID", "apache2 children setgid to APACHE_RUN_GROUP www-data (8.5/trixie/apache/Dockerfile:60-65)", 0},
		{"SETUID", "apache2 children setuid to APACHE_RUN_USER www-data (8.5/trixie/apache/Dockerfile:60-65)", 0},
		{"NET_BIND_SERVICE", "Listen 80 (8.5/trixie/apache/Dockerfile:290 EXPOSE 80)", 80},
	},
	source: "docker-library/php@445bf414 8.5/trixie/apache/Dockerfile:60-65 (APACHE_RUN_USER www-data), 290-291 (EXPOSE 80, CMD apache2-foreground), apache2-foreground:40 (exec apache2 -DFOREGROUND)",
}, {
	name:   "wordpress (apache)",
	repos:  []string{"docker.io/library/wordpress"},
	runsAs: "root: the entrypoint copies WordPress into the document root as www-data's files, then Apache's children switch to www-data",
	needs: []imageNeed{
		{"CHOWN", "the entrypoint chowns the document root to www-data and tar extracts files owned by it (docker-entrypoint.sh:31,66)", 0},
		{"DAC_OVERRIDE", "tar writes into the document root after it belongs to www-data (docker-entrypoint.sh:31,66)", 0},
		{"FOWNER", "tar sets modes and times on www-data's directories (docker-entrypoint.sh:66)", 0},
		{"SETGID", "apache2 children setgid to www-data (php:apache base image)", 0},
		{"SETUID", "apache2 children setuid to www-data (php:apache base image)", 0},
		{"NET_BIND_SERVICE", "Listen 80 (php:apache base image, EXPOSE 80)", 80},
	},
	source: "docker-library/wordpress@bf223d1c latest/php8.5/apache/Dockerfile:7 (FROM php:8.5-apache), 175-176; latest/php8.5/apache/docker-entrypoint.sh:5-31 (chown when root), 66 (tar)",
}, {
	name:   "postgres",
	repos:  []string{"docker.io/library/postgres"},
	runsAs: "root: the entrypoint fixes the ownership of PGDATA, then re-executes itself as postgres with gosu",
	needs: []imageNeed{
		{"CHOWN", "find ... -exec chown postgres on PGDATA and /var/run/postgresql (docker-entrypoint.sh:58-59)", 0},
		{"DAC_OVERRIDE", "that find walks PGDATA, which postgres owns with mode 0700 after the first start (docker-entrypoint.sh:58)", 0},
		{"SETGID", "exec gosu postgres (docker-entrypoint.sh:338)", 0},
		{"SETUID", "exec gosu postgres (docker-entrypoint.sh:338)", 0},
	},
	source: "docker-library/postgres@6edb0a8c 18/trixie/docker-entrypoint.sh:41 (chmod 00700 PGDATA), 58-59 (find -exec chown), 338 (exec gosu postgres)",
}, {
	name:   "mysql",
	repos:  []string{"docker.io/library/mysql", "container-registry.oracle.com/mysql/community-server"},
	runsAs: "root: the entrypoint chowns the data directory to mysql, then re-executes itself as mysql with gosu",
	needs: []imageNeed{
		{"CHOWN", "find ... -exec chown mysql on the data directories (8.4/docker-entrypoint.sh:210)", 0},
		{"DAC_OVERRIDE", "that find walks the data directory, which mysql owns after the first start (8.4/docker-entrypoint.sh:210)", 0},
		{"SETGID", "exec gosu mysql (8.4/docker-entrypoint.sh:380)", 0},
		{"SETUID", "exec gosu mysql (8.4/docker-entrypoint.sh:380)", 0},
	},
	source: "docker-library/mysql@7f30fdb0 8.4/docker-entrypoint.sh:210 (find -exec chown), 380 (exec gosu mysql)",
}, {
	name:   "mariadb",
	repos:  []string{"docker.io/library/mariadb", "quay.io/mariadb-foundation/mariadb-devel"},
	runsAs: "root: the entrypoint chowns the data directory to mysql, then re-executes itself as mysql with gosu",
	needs: []imageNeed{
		{"CHOWN", "find \"$DATADIR\" ... -exec chown mysql: (11.8/docker-entrypoint.sh:210)", 0},
		{"DAC_OVERRIDE", "that find walks the data directory, which mysql owns after the first start (11.8/docker-entrypoint.sh:210)", 0},
		{"SETGID", "exec gosu mysql (11.8/docker-entrypoint.sh:699)", 0},
		{"SETUID", "exec gosu mysql (11.8/docker-entrypoint.sh:699)", 0},
	},
	source: "MariaDB/mariadb-docker@1b6429ba 11.8/docker-entrypoint.sh:210 (find -exec chown), 699 (exec gosu mysql)",
}, {
	name:   "mongo",
	repos:  []string{"docker.io/library/mongo"},
	runsAs: "root: the entrypoint gives /data/db and /data/configdb to mongodb, then re-executes itself as mongodb with gosu",
	needs: []imageNeed{
		{"CHOWN", "find -L /data/configdb /data/db ! -user mongodb -exec chown mongodb (8.3/docker-entrypoint.sh:14)", 0},
		{"DAC_OVERRIDE", "that find walks /data/db, which mongodb owns after the first start (8.3/docker-entrypoint.sh:14)", 0},
		{"SETGID", "exec gosu mongodb (8.3/docker-entrypoint.sh:22)", 0},
		{"SETUID", "exec gosu mongodb (8.3/docker-entrypoint.sh:22)", 0},
	},
	source: "docker-library/mongo@2c69a57b 8.3/docker-entrypoint.sh:12-22 (when root: find -exec chown, exec gosu mongodb)",
}, {
	name:   "redis",
	repos:  []string{"docker.io/library/redis"},
	runsAs: "root: the entrypoint gives /data to redis, then re-executes itself as redis with gosu",
	needs: []imageNeed{
		{"CHOWN", "find . ! -user redis -exec chown redis (7.2/debian/docker-entrypoint.sh:12)", 0},
		{"SETGID", "exec gosu redis (7.2/debian/docker-entrypoint.sh:13)", 0},
		{"SETUID", "exec gosu redis (7.2/debian/docker-entrypoint.sh:13)", 0},
	},
	source: "docker-library/redis@e9204996 7.2/debian/docker-entrypoint.sh:11-13 (when root: chown, exec gosu redis)",
}, {
	name:   "haproxy",
	repos:  []string{"docker.io/library/haproxy"},
	runsAs: "user haproxy (uid 99): it needs no capability, and its binary carries none, so a port below 1024 needs net.ipv4.ip_unprivileged_port_start lowered (a pod sysctl) or runAsUser: 0",
	uid:    uid(99),
	source: "docker-library/haproxy@ec437dd2 3.2/Dockerfile:21-29 (user haproxy, uid 99), 110 (USER haproxy)",
}, {
	name:   "envoy",
	repos:  []string{"docker.io/envoyproxy/envoy"},
	runsAs: "root: the entrypoint gives /dev/stdout and /dev/stderr to user envoy and switches to it with su-exec (unless ENVOY_UID=0)",
	needs: []imageNeed{
		{"CHOWN", "chown envoy:envoy /dev/stdout /dev/stderr (ci/docker-entrypoint.sh:24)", 0},
		{"SETGID", "su-exec envoy (ci/docker-entrypoint.sh:25)", 0},
		{"SETUID", "su-exec envoy (ci/docker-entrypoint.sh:25)", 0},
	},
	source: "envoyproxy/envoy@3313680e ci/docker-entrypoint.sh:16-25",
}, {
	name:   "kube-vip",
	repos:  []string{"ghcr.io/kube-vip/kube-vip", "docker.io/plndr/kube-vip", "ghcr.io/kube-vip/kube-vip-iptables"},
	runsAs: "root (FROM scratch, no USER)",
	needs: []imageNeed{
		{"NET_ADMIN", "it adds the virtual IP to an interface and programs routes (pkg/kubevip/config_generator.go:680, the manifest kube-vip generates)", 0},
		{"NET_RAW", "ARP mode sends gratuitous ARP from an AF_PACKET socket (pkg/vip/arp.go:252; config_generator.go:681)", 0},
	},
	source: "kube-vip/kube-vip@bee5cfe4 pkg/kubevip/config_generator.go:670-687 (add NET_ADMIN, NET_RAW, drop ALL; privileged only for lb forwarding method masquerade), pkg/vip/arp.go:252, Dockerfile (FROM scratch, ENTRYPOINT /kube-vip)",
}, {
	name:   "keepalived",
	repos:  []string{"docker.io/osixia/keepalived"},
	runsAs: "root",
	needs: []imageNeed{
		{"NET_ADMIN", "it adds the virtual IP and programs IPVS (README.md:35,37)", 0},
		{"NET_BROADCAST", "VRRP advertisements (README.md:37: --cap-add=NET_BROADCAST)", 0},
		{"NET_RAW", "VRRP runs on raw IP sockets (README.md:37: --cap-add=NET_RAW)", 0},
	},
	source: "osixia/docker-keepalived@0eb9a3f4 README.md:35-37 (v2.0.20: --cap-add=NET_ADMIN --cap-add=NET_BROADCAST --cap-add=NET_RAW --net=host)",
}, {
	name:     "ingress-nginx controller",
	repos:    []string{"registry.k8s.io/ingress-nginx/controller", "k8s.gcr.io/ingress-nginx/controller", "registry.k8s.io/ingress-nginx/controller-chroot"},
	runsAs:   "user www-data (101); dumb-init, the controller and nginx all carry cap_net_bind_service as a file capability",
	uid:      uid(101),
	needs:    []imageNeed{{"NET_BIND_SERVICE", "nginx binds ports 80 and 443 as www-data through its file capability (rootfs/Dockerfile:72-77)", 80}},
	fileCaps: []string{"NET_BIND_SERVICE"},
	source:   "kubernetes/ingress-nginx@dbb11b92 rootfs/Dockerfile:72-77 (setcap cap_net_bind_service=+ep on /nginx-ingress-controller, nginx, dumb-init), 81 (USER www-data), 87-88",
}, {
	name:     "coredns",
	repos:    []string{"registry.k8s.io/coredns/coredns", "docker.io/coredns/coredns", "k8s.gcr.io/coredns/coredns"},
	runsAs:   "uid 65532; /coredns carries cap_net_bind_service as a file capability",
	uid:      uid(65532),
	needs:    []imageNeed{{"NET_BIND_SERVICE", "binds port 53 as uid 65532 through its file capability (Dockerfile:9)", 53}},
	fileCaps: []string{"NET_BIND_SERVICE"},
	source:   "coredns/coredns@4b26cced Dockerfile:9 (setcap cap_net_bind_service=+ep /coredns), 19 (USER 65532:65532), 23-24",
}, {
	name:   "flannel",
	repos:  []string{"ghcr.io/flannel-io/flannel", "docker.io/flannel/flannel", "quay.io/coreos/flannel"},
	runsAs: "root",
	needs: []imageNeed{
		{"NET_ADMIN", "it creates the VXLAN device, routes and iptables rules (Documentation/kube-flannel.yml:190)", 0},
		{"NET_RAW", "iptables (Documentation/kube-flannel.yml:190)", 0},
	},
	containers: []string{"kube-flannel"},
	source:     "flannel-io/flannel@cdf76059 Documentation/kube-flannel.yml:188-190 (privileged: false, add NET_ADMIN, NET_RAW)",
}, {
	name:       "cilium agent",
	repos:      []string{"quay.io/cilium/cilium", "quay.io/cilium/cilium-ci"},
	containers: []string{"cilium-agent"},
	runsAs:     "root",
	needs: []imageNeed{
		{"CHOWN", "sets socket permissions (install/kubernetes/cilium/values.yaml:268-269)", 0},
		{"KILL", "terminates its envoy child (values.yaml:270-271)", 0},
		{"NET_ADMIN", "modifies routing tables (values.yaml:272-273)", 0},
		{"NET_RAW", "creates raw sockets (values.yaml:274-275)", 0},
		{"IPC_LOCK", "cilium monitor uses mmap (values.yaml:276-277)", 0},
		{"SYS_MODULE", "iptables modules (values.yaml:278-279)", 0},
		{"SYS_ADMIN", "switches network namespaces and loads BPF (values.yaml:280-284)", 0},
		{"SYS_RESOURCE", "raises RLIMIT_MEMLOCK (values.yaml:285-286)", 0},
		{"DAC_OVERRIDE", "values.yaml:292-293", 0},
		{"FOWNER", "values.yaml:294-295", 0},
		{"SETGID", "values.yaml:296-297", 0},
		{"SETUID", "values.yaml:298-299", 0},
	},
	source: "cilium/cilium@c547745f install/kubernetes/cilium/values.yaml:253-299 (securityContext.privileged: false, capabilities.ciliumAgent)",
}, {
	name:       "cilium init containers",
	repos:      []string{"quay.io/cilium/cilium", "quay.io/cilium/cilium-ci"},
	containers: []string{"mount-cgroup", "apply-sysctl-overwrites"},
	runsAs:     "root",
	needs: []imageNeed{
		{"SYS_ADMIN", "mounts the cgroup filesystem / reads the host's sysctl.d (values.yaml:303, 310)", 0},
		{"SYS_CHROOT", "nsenter (values.yaml:305, 312)", 0},
		{"SYS_PTRACE", "nsenter into the host's namespaces (values.yaml:306, 313)", 0},
	},
	source: "cilium/cilium@c547745f install/kubernetes/cilium/values.yaml:300-313 (capabilities.mountCgroup, applySysctlOverwrites)",
}, {
	name:       "calico node",
	repos:      []string{"quay.io/calico/node", "docker.io/calico/node", "quay.io/calico/calico"},
	runsAs:     "root",
	privileged: "calico's own manifest runs calico-node and its init containers privileged (it writes /proc/sys, mounts bpffs and cgroup2, installs the CNI binaries on the node)",
	source:     "projectcalico/calico@87c15906 manifests/calico.yaml:12560,12602,12628,12709 (privileged: true for upgrade-ipam, install-cni, ebpf-bootstrap, calico-node)",
}, {
	name:   "metallb speaker",
	repos:  []string{"quay.io/metallb/speaker"},
	runsAs: "root",
	needs:  []imageNeed{{"NET_RAW", "answers ARP and NDP on raw sockets in L2 mode (config/manifests/metallb-native.yaml:2343-2347)", 0}},
	source: "metallb/metallb@7938d3f8 config/manifests/metallb-native.yaml:2341-2348 (speaker: add NET_RAW, drop ALL)",
}}

// imageMatch is a table entry and the reference that matched it.
type imageMatch struct {
	entry *imageEntry
	ref   string // the image as the manifest writes it
	repo  string // its repository, normalised
}

// lookupImage finds the table entry for a container's image, by repository (and tag or container
// name where an entry asks for them).
func lookupImage(image, container string) (imageMatch, bool) {
	repo, tag := imageRepo(image)
	if repo == "" {
		return imageMatch{}, false
	}
	for i := range images {
		e := &images[i]
		if !contains(e.repos, repo) || e.tag != "" && !strings.Contains(tag, e.tag) {
			continue
		}
		if len(e.containers) > 0 && !contains(e.containers, container) {
			continue
		}
		return imageMatch{entry: e, ref: image, repo: repo}, true
	}
	return imageMatch{}, false
}

// imageRepo splits an image reference into its repository, normalised the way the container
// runtime resolves it (nginx → docker.io/library/nginx), and its tag ("" for none or a digest).
func imageRepo(ref string) (repo, tag string) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.ContainsAny(ref, " \t{}$") {
		return "", "" // empty, or a template placeholder
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	name := ref
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		name, tag = ref[:i], ref[i+1:]
	}
	name = strings.ToLower(name)
	parts := strings.SplitN(name, "/", 2)
	if len(parts) == 1 || !strings.ContainsAny(parts[0], ".:") && parts[0] != "localhost" {
		name = "docker.io/" + name
	}
	if strings.HasPrefix(name, "index.docker.io/") {
		name = "docker.io/" + strings.TrimPrefix(name, "index.docker.io/")
	}
	if rest, ok := strings.CutPrefix(name, "docker.io/"); ok && !strings.Contains(rest, "/") {
		name = "docker.io/library/" + rest
	}
	return name, tag
}
