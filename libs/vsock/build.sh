#!/bin/sh
# Builds build/Release/vsock.node. Uses the system's Node headers when present (Debian's
# nodejs-dev / NodeSource put them in /usr/include/node), so no header download is needed.
set -eu
cd "$(dirname "$0")"
if [ -f /usr/include/node/node_api.h ]; then
  exec node-gyp rebuild --nodedir=/usr --loglevel=warn
fi
exec node-gyp rebuild --loglevel=warn
