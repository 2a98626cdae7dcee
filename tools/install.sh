#!/usr/bin/env bash
# Installs a built kata-ts into a prefix laid out like Kata's static release (/opt/kata):
#   DIR/bin/containerd-shim-kata-v2        DIR/bin/kata-runtime (when built)
#   DIR/libexec/kata-ts/kata-proxy
#   DIR/share/defaults/kata-containers/configuration.toml (+ configuration-qemu.toml), absolute paths into DIR
#   DIR/share/kata-containers/vmlinux.container vmlinuz.container kata-containers.img (the root image)
#     kata-containers-image-initrd.img (mounts it) kata-containers-initrd.img (the whole guest, no image)
#   DIR/containerd/config.d/kata-deploy.toml  (drop-in for containerd's `imports`)
# The apps are bundled single files run by the system's node, so nothing points back into the
# source tree. Builds what is missing (shim, proxy, kata-runtime) with nx; the guest image comes
# from tools/build-guest-image (build/guest/).
# --destdir D writes everything under D/DIR while the files still name DIR (a staged install, as
# for the kata-deploy image); --bundle-node copies this node into DIR/libexec/kata-ts/node and the
# wrappers run that one (a node without Node.js; it needs the glibc and libstdc++ node links to).
# Usage: tools/install.sh --prefix DIR [--guest DIR] [--destdir D] [--bundle-node]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

prefix="" guest="$ROOT/build/guest" destdir="" bundle_node=""
while (($#)); do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --guest) guest="${2:?--guest needs a directory}"; shift 2 ;;
    --guest=*) guest="${1#*=}"; shift ;;
    --destdir) destdir="${2:?--destdir needs a directory}"; shift 2 ;;
    --destdir=*) destdir="${1#*=}"; shift ;;
    --bundle-node) bundle_node=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || { echo "install.sh: --prefix DIR is required" >&2; exit 2; }
if [ -n "$destdir" ]; then
  case "$prefix" in /*) ;; *) echo "install.sh: with --destdir, --prefix must be absolute" >&2; exit 2 ;; esac
  mkdir -p "$destdir"
  destdir=$(cd "$destdir" && pwd)
else
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
fi
# Files are written under $dest; what they say names $prefix.
dest="$destdir$prefix"

shim="$ROOT/apps/shim/dist/containerd-shim-kata-v2.mjs"
proxy="$ROOT/apps/proxy/dist/kata-proxy.mjs"
runtime="$ROOT/apps/kata-runtime/dist/kata-runtime.mjs"
if [ ! -f "$shim" ] || [ ! -f "$proxy" ]; then
  NX_DAEMON=false NX_TUI=false NX_NO_CLOUD=true npx nx run-many -t build -p shim proxy --outputStyle=stream >&2
fi
for f in "$guest/vmlinux.container" "$guest/vmlinuz.container" "$guest/kata-containers-initrd.img" "$guest/kata-containers-image-initrd.img" "$guest/kata-containers.img"; do
  [ -f "$f" ] || { echo "install.sh: $f is missing: run tools/build-guest-image first" >&2; exit 1; }
done

node_bin=$(command -v node)
defaults="$prefix/share/defaults/kata-containers"
install -d "$dest/bin" "$dest/libexec/kata-ts" "$destdir$defaults" "$dest/share/kata-containers" "$dest/containerd/config.d"
if [ -n "$bundle_node" ]; then
  install -m 0755 "$node_bin" "$dest/libexec/kata-ts/node"
  node_bin="$prefix/libexec/kata-ts/node"
fi

# The bundles carry `#!/usr/bin/env node`; containerd's PATH may lack node, so each command is a
# wrapper that names the node that built it.
shell_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
install_app() { # bundle, target (as named in files)
  install -m 0644 "$1" "$destdir$2.mjs"
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$(shell_quote "$node_bin")" "$(shell_quote "$2.mjs")" >"$destdir$2"
  chmod 0755 "$destdir$2"
}
install_app "$shim" "$prefix/bin/containerd-shim-kata-v2"
install_app "$proxy" "$prefix/libexec/kata-ts/kata-proxy"
if [ -f "$runtime" ]; then install_app "$runtime" "$prefix/bin/kata-runtime"; fi

install -m 0644 "$guest/vmlinux.container" "$guest/vmlinuz.container" "$guest/kata-containers-initrd.img" "$guest/kata-containers-image-initrd.img" "$guest/kata-containers.img" "$dest/share/kata-containers/"

escaped=$(printf '%s' "$prefix" | sed 's/[&|\\]/\\&/g')
sed "s|@PREFIX@|$escaped|g" "$ROOT/libs/config/templates/configuration-qemu.toml.in" >"$destdir$defaults/configuration-qemu.toml"
ln -sf configuration-qemu.toml "$destdir$defaults/configuration.toml"

cat >"$dest/containerd/config.d/kata-deploy.toml" <<TOML
# containerd drop-in for \`imports\` in /etc/containerd/config.toml. containerd 1.6/1.7 replace a
# whole plugin section with an import's: only for a config without its own CRI plugin section
# (kata-deploy appends these tables to the config instead).
version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
  runtime_type = "io.containerd.kata.v2"
  runtime_path = "$prefix/bin/containerd-shim-kata-v2"
  privileged_without_host_devices = true
  pod_annotations = ["io.katacontainers.*"]
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata.options]
  ConfigPath = "$defaults/configuration-qemu.toml"
TOML

echo "kata-ts installed in $dest" >&2
