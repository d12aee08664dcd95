#!/usr/bin/env bash
# container-base.sh - make this Debian 12 host able to build and run docker/Dockerfile without a
# Docker engine or registry: installs podman + runc + debootstrap (apt), writes a podman config
# with ulimits the host allows, and imports a debootstrapped bookworm minbase rootfs as
# `debian:bookworm-slim`. Idempotent; the rootfs tarball is cached under /var/tmp.
# Recipe: ../shared/tools/oci-smoke.sh. Needs root (rootful podman).
#   source <(scripts/container-base.sh --env)   # prints: export CONTAINERS_CONF=...
#   scripts/container-base.sh                   # prepare everything
set -euo pipefail
SUITE=bookworm
BASE_TAG=debian:bookworm-slim
STATE_DIR=${HOLDON_CONTAINER_STATE:-/var/tmp/holdon-container}
conf=$STATE_DIR/containers.conf
if [ "${1:-}" = --env ]; then echo "export CONTAINERS_CONF=$conf"; exit 0; fi
log() { printf '[container-base] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root (rootful podman)"; exit 1; }
mkdir -p "$STATE_DIR"

"$(dirname "$0")/deps.sh" container   # podman, runc, debootstrap

# crun refuses this host's hybrid cgroups; runc works. Container ulimits must not exceed the
# host's hard limits (no CAP_SYS_RESOURCE): podman's default nofile=1048576 fails.
hn=$(ulimit -Hn); if [ "$hn" = unlimited ] || [ "$hn" -gt 1048576 ]; then hn=1048576; fi
hu=$(ulimit -Hu); pm=$(cat /proc/sys/kernel/pid_max); if [ "$hu" = unlimited ]; then hu=$pm; fi
for lim in "$pm" 32768; do if [ "$hu" -gt "$lim" ]; then hu=$lim; fi; done
cat > "$conf.tmp" <<CONF
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=$hu:$hu"]
[engine]
runtime = "runc"
CONF
mv "$conf.tmp" "$conf"
export CONTAINERS_CONF=$conf

apt_uri() {  # first URI in the host's apt sources (deb822 or one-line) serving suite $1
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$suite" 'BEGIN{RS="";FS="\n"} {u="";ok=0;deb=0
      for(i=1;i<=NF;i++){ if($i~/^URIs:/){split($i,a,/[ \t]+/);u=a[2]}
        if($i~/^Suites:/){n=split($i,a,/[ \t]+/);for(j=2;j<=n;j++)if(a[j]==s)ok=1}
        if($i~/^Types:/ && $i~/[ \t]deb([ \t]|$)/)deb=1 }
      if(ok&&deb&&u!=""){print u;exit}}' "$f"
  done
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v s="$suite" '$1=="deb"{i=2; if($2 ~ /^\[/){while($i !~ /\]$/)i++; i++} if($(i+1)==s){print $i}}'
  true
}

if podman image exists "docker.io/library/$BASE_TAG" && podman image exists "localhost/$BASE_TAG"; then
  exit 0
fi
MIRROR=$(apt_uri "$SUITE" | head -1); SECMIRROR=$(apt_uri "$SUITE-security" | head -1)
[ -n "$MIRROR" ] || { log "no apt source for $SUITE in /etc/apt"; exit 1; }
ROOTFS=$STATE_DIR/rootfs-$SUITE; TARBALL=$STATE_DIR/$SUITE-minbase.tar
if [ ! -s "$TARBALL" ]; then
  rm -rf "$ROOTFS"
  log "debootstrap --variant=minbase $SUITE from $MIRROR (cached afterwards in $TARBALL)"
  debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" > "$STATE_DIR/debootstrap.log" 2>&1 ||
    { tail -20 "$STATE_DIR/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
  # slim it like the official -slim images
  rm -f "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin
  find "$ROOTFS/var/lib/apt/lists" "$ROOTFS/var/log" -type f -delete
  : > "$ROOTFS/etc/hostname"; : > "$ROOTFS/etc/resolv.conf"   # podman bind-mounts these
  rm -f "$ROOTFS/etc/apt/sources.list"
  { printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$MIRROR" "$SUITE" "$SUITE"
    [ -z "$SECMIRROR" ] || printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$SECMIRROR" "$SUITE"
  } > "$ROOTFS/etc/apt/sources.list.d/debian.sources"
  cat > "$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
  printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\npath-exclude /usr/share/groff/*\n' \
    > "$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-slim"
  find "$ROOTFS/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/* "$ROOTFS"/usr/share/groff/*
  tar --numeric-owner -C "$ROOTFS" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL" && rm -rf "$ROOTFS"
fi
podman import -q --change 'CMD ["bash"]' "$TARBALL" "localhost/$BASE_TAG" >/dev/null
podman tag "localhost/$BASE_TAG" "docker.io/library/$BASE_TAG"
log "imported $BASE_TAG"
