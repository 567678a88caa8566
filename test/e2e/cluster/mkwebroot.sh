#!/bin/bash
# mkwebroot.sh ROOT nginx|httpd: the root filesystem of a web-server image made from Debian's own
# packages (apt-get download, cached in $K8S_E2E_HOME/debs; no registry), for the harden e2e
# (test/e2e/harden_web_test.go). Like the upstream nginx and httpd images, both start as root and
# step down: nginx's master creates its temp directories, chowns them to www-data and its workers
# switch to www-data; Apache's parent binds port 80 and its children switch to www-data.
#   nginx: nginx (/usr/sbin/nginx; bookworm's nginx-light is a metapackage over it) and
#          nginx-common (its configuration), the default site on port 80
#   httpd: apache2, apache2-bin, apache2-data, media-types (/etc/mime.types), libapr1, libaprutil1;
#          a few modules enabled the way
#          the package's postinst would (a2enmod does not run here), the default site on port 80
# The libraries the binaries link, which the host has (Debian 12 too), are copied from the host,
# as mkimages.sh does for capsh. busybox-static gives /bin/sh for the httpd entrypoint.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
ROOT=$1 KIND=$2
DEBS=$K8S_E2E_HOME/debs
mkdir -p "$DEBS" "$ROOT"
case $KIND in
  nginx) pkgs="nginx nginx-common" ;;
  httpd) pkgs="apache2 apache2-bin apache2-data media-types libapr1 libaprutil1" ;;
  *) echo "mkwebroot: unknown kind $KIND" >&2; exit 1 ;;
esac
for p in $pkgs; do
  if ! ls "$DEBS/${p}_"*.deb >/dev/null 2>&1; then
    (cd "$DEBS" && apt-get download "$p" >/dev/null 2>&1) || { echo "mkwebroot: apt-get download $p failed (needs Debian's apt sources)" >&2; exit 1; }
  fi
  dpkg -x "$(ls "$DEBS/${p}_"*.deb | tail -1)" "$ROOT"
done

mkdir -p "$ROOT"/{bin,etc,tmp,run,proc,sys,dev,root,var/www/html,var/log,var/lock}
chmod 1777 "$ROOT/tmp"
ln -sfn /run "$ROOT/var/run"
cp /bin/busybox "$ROOT/bin/busybox"
for a in sh mkdir rm cat ls; do ln -sf busybox "$ROOT/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n' > "$ROOT/etc/group"
echo "kubectl-caps e2e: $KIND from Debian's packages" > "$ROOT/var/www/html/index.html"

elves=()
case $KIND in
  nginx)
    mkdir -p "$ROOT/var/lib/nginx" "$ROOT/var/log/nginx"
    ln -sfn /dev/stderr "$ROOT/var/log/nginx/error.log"
    ln -sfn /dev/stdout "$ROOT/var/log/nginx/access.log"
    ln -sfn ../sites-available/default "$ROOT/etc/nginx/sites-enabled/default"
    elves=("$ROOT/usr/sbin/nginx")
    ;;
  httpd)
    for m in mpm_event authz_core authz_host dir mime; do
      for f in "$ROOT/etc/apache2/mods-available/$m".{load,conf}; do
        [ -e "$f" ] && ln -sfn "../mods-available/$(basename "$f")" "$ROOT/etc/apache2/mods-enabled/$(basename "$f")"
      done
      elves+=("$ROOT/usr/lib/apache2/modules/mod_$m.so")
    done
    ln -sfn ../sites-available/000-default.conf "$ROOT/etc/apache2/sites-enabled/000-default.conf"
    mkdir -p "$ROOT/usr/local/bin" "$ROOT/var/log/apache2"
    # Logs to the container's output, as the upstream image has them.
    ln -sfn /dev/stderr "$ROOT/var/log/apache2/error.log"
    ln -sfn /dev/stdout "$ROOT/var/log/apache2/access.log"
    # The upstream image's httpd-foreground, for Debian's layout: envvars names the user and
    # the run, lock and log directories.
    cat > "$ROOT/usr/local/bin/httpd-foreground" <<'EOF'
#!/bin/sh
set -e
. /etc/apache2/envvars
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
rm -f "$APACHE_PID_FILE"
exec /usr/sbin/apache2 -DFOREGROUND
EOF
    chmod 0755 "$ROOT/usr/local/bin/httpd-foreground"
    elves+=("$ROOT/usr/sbin/apache2")
    ;;
esac

# Libraries: those the packages bring first, then the host's for the rest. glibc dlopens
# libgcc_s for pthread_exit (Apache's children use it), which ldd does not list.
for l in /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/aarch64-linux-gnu/libgcc_s.so.1; do
  [ -e "$l" ] && { mkdir -p "$ROOT$(dirname "$l")"; cp -L "$l" "$ROOT$l"; }
done
libpath=$( (find "$ROOT/usr/lib" "$ROOT/lib" -name "*.so*" -printf "%h\n" 2>/dev/null || true) | sort -u | paste -sd: -)
for e in "${elves[@]}"; do
  LD_LIBRARY_PATH=$libpath ldd "$e" | while read -r name arrow path rest; do
    case $name in linux-vdso*) continue ;; esac
    [ "$arrow" = "=>" ] || path=$name
    case $path in
      "not") echo "mkwebroot: $(basename "$e") needs $name, which neither the packages nor the host have" >&2; exit 1 ;;
      "$ROOT"/*) ;;
      /*) mkdir -p "$ROOT$(dirname "$path")"; cp -L "$path" "$ROOT$path" ;;
    esac
  done
done
