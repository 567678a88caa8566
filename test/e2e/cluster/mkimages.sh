#!/bin/bash
# Builds the e2e images as docker-archive tarballs into $K8S_IMAGES (there is no registry: up.sh
# imports them into containerd, and pods use imagePullPolicy: Never):
#   docker.io/local/capsh:v1    busybox-static + capsh/getpcaps and their libs from the host,
#                               users root, user1 (1025), user2 (2000)
#   docker.io/local/filecap:v1  the same plus /opt/filecap/busybox carrying the file capability
#                               cap_net_bind_service+ep (security.capability xattr kept in the layer)
#   docker.io/local/noshell:v1  only /sleeper (static Go, test/e2e/images/sleeper): no sh, no cat
#   docker.io/local/pause:v1    the same layer, used as the pod sandbox image
#   docker.io/local/capworker:v1 only /capworker (static Go, test/e2e/images/capworker) and /tmp:
#                               chowns, binds port 80 and asks for SYS_TIME every 2 s (issue 13)
#   docker.io/local/hostile-{flood,hang,forged}:v1
#                               only /bin/sh, a static Go program (test/e2e/images/hostilesh) that
#                               floods, never answers, or forges a probe answer (issue 7)
#   docker.io/library/nginx:kubectl-caps-e2e, docker.io/library/httpd:kubectl-caps-e2e
#                               Debian's nginx and apache2 packages (mkwebroot.sh): root entrypoints
#                               that step down to www-data, as the upstream images do (issue 11)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
D=${1:-$K8S_IMAGES}
W=$D/work
rm -rf "$D"; mkdir -p "$W"
case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac

BB=/bin/busybox
if ldd "$BB" >/dev/null 2>&1; then echo "mkimages: $BB is dynamically linked; install busybox-static" >&2; exit 1; fi

# ---- root filesystems ----
mkroot() { mkdir -p "$1"/{bin,sbin,usr/sbin,etc,proc,sys,dev,tmp,root}; chmod 1777 "$1/tmp"; }
CAPSH=$W/capsh-root
mkroot "$CAPSH"
cp "$BB" "$CAPSH/bin/busybox"
for a in $("$BB" --list); do [ -e "$CAPSH/bin/$a" ] || ln -s busybox "$CAPSH/bin/$a"; done
for b in /usr/sbin/capsh /usr/sbin/getpcaps; do
  [ -x "$b" ] || continue
  cp "$b" "$CAPSH/usr/sbin/"
  for lib in $(ldd "$b" | grep -o '/[^ ]*'); do mkdir -p "$CAPSH$(dirname "$lib")"; cp -L "$lib" "$CAPSH$lib"; done
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser1:x:1025:1025:user1:/tmp:/bin/sh\nuser2:x:2000:2000:user2:/tmp:/bin/sh\n' > "$CAPSH/etc/passwd"
printf 'root:x:0:\nuser1:x:1025:\nuser2:x:2000:\n' > "$CAPSH/etc/group"

FILECAP=$W/filecap-root
cp -a "$CAPSH" "$FILECAP"
mkdir -p "$FILECAP/opt/filecap"
cp "$BB" "$FILECAP/opt/filecap/busybox"
setcap cap_net_bind_service+ep "$FILECAP/opt/filecap/busybox"
getcap "$FILECAP/opt/filecap/busybox" | grep -q cap_net_bind_service || { echo "mkimages: setcap did not stick (filesystem without xattrs?)" >&2; exit 1; }

SLEEPER=$W/sleeper-root
mkdir -p "$SLEEPER"
(cd "$HERE/../images/sleeper" && CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH go build -trimpath -ldflags '-s -w' -o "$SLEEPER/sleeper" .)

CAPWORKER=$W/capworker-root
mkroot "$CAPWORKER"
(cd "$HERE/../images/capworker" && CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH go build -trimpath -ldflags '-s -w' -o "$CAPWORKER/capworker" .)

for m in flood hang forged; do
  mkdir -p "$W/hostile-$m-root/bin"
  (cd "$HERE/../images/hostilesh" && CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH go build -trimpath -ldflags "-s -w -X main.mode=$m" -o "$W/hostile-$m-root/bin/sh" .)
done

NGINX=$W/nginx-root HTTPD=$W/httpd-root
"$HERE/mkwebroot.sh" "$NGINX" nginx
"$HERE/mkwebroot.sh" "$HTTPD" httpd

# ---- docker-archive writer: one layer, one config, one tag ----
mkarchive() { # tag rootfs entrypoint-json out.tar
  local tag=$1 root=$2 ep=$3 out=$4 t
  t=$(mktemp -d "$W/arch.XXXX")
  # --xattrs keeps security.capability (file capabilities); owners are normalised to root.
  tar --numeric-owner --owner=0 --group=0 --xattrs --xattrs-include='security.capability' \
    -C "$root" -cf "$t/layer.tar" .
  local lsha csha
  lsha=$(sha256sum "$t/layer.tar" | cut -d' ' -f1)
  mkdir -p "$t/$lsha"; mv "$t/layer.tar" "$t/$lsha/layer.tar"
  printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"test/e2e/cluster/mkimages.sh"}]}' \
    "$ARCH" "$ep" "$lsha" > "$t/cfg"
  csha=$(sha256sum "$t/cfg" | cut -d' ' -f1); mv "$t/cfg" "$t/$csha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$csha" "$tag" "$lsha" > "$t/manifest.json"
  tar -C "$t" -cf "$out" manifest.json "$csha.json" "$lsha"
  rm -rf "$t"
  echo "mkimages: $tag -> $out"
}
mkarchive docker.io/local/capsh:v1   "$CAPSH"   '["/bin/sleep","2147483647"]' "$D/capsh.tar"
mkarchive docker.io/local/filecap:v1 "$FILECAP" '["/bin/sleep","2147483647"]' "$D/filecap.tar"
mkarchive docker.io/local/noshell:v1 "$SLEEPER" '["/sleeper"]'               "$D/noshell.tar"
mkarchive docker.io/local/pause:v1   "$SLEEPER" '["/sleeper"]'               "$D/pause.tar"
mkarchive docker.io/local/capworker:v1 "$CAPWORKER" '["/capworker"]'        "$D/capworker.tar"
for m in flood hang forged; do
  mkarchive docker.io/local/hostile-$m:v1 "$W/hostile-$m-root" '["/bin/sh"]' "$D/hostile-$m.tar"
done
# Tagged as the upstream repositories, so that harden knows them as it knows nginx and httpd.
mkarchive docker.io/library/nginx:kubectl-caps-e2e "$NGINX" '["/usr/sbin/nginx","-g","daemon off;"]' "$D/nginx.tar"
mkarchive docker.io/library/httpd:kubectl-caps-e2e "$HTTPD" '["/usr/local/bin/httpd-foreground"]' "$D/httpd.tar"
rm -rf "$W"
