#!/bin/sh
# Builds build/Release/vsock.node against the headers of the Node that runs this script
# (<prefix>/include/node, shipped with Node by Debian, NodeSource and the official tarballs).
# Never downloads headers: CI and fresh machines have no network beyond the package registries,
# and node-gyp's download (or a ~/.npmrc nodedir) made the build depend on the environment.
set -eu
cd "$(dirname "$0")"
nodedir="$(node -p 'require("node:path").resolve(process.execPath, "../..")')"
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "vsock: Node's headers are missing ($nodedir/include/node/node_api.h): install the Node package that ships them" >&2
  exit 1
fi
exec node-gyp rebuild --nodedir="$nodedir" --loglevel=warn
