#!/usr/bin/env bash
# Regenerates TypeScript from ../../protos with protoc + ts-proto.
#   gen.sh            writes src/gen (deleting stale files first)
#   gen.sh --check    generates into a temp dir and fails if src/gen differs (CI drift check)
#   gen.sh --out DIR  generates into DIR (used by the check and by tests)
# Deterministic: sorted input list, fixed options, no timestamps in the output.
set -euo pipefail

pkg_dir="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$pkg_dir/../.." && pwd)"
protos="${PROTOS_DIR:-$root/protos}"
gen_dir="$pkg_dir/src/gen"
plugin="$root/node_modules/.bin/protoc-gen-ts_proto"
# The google/protobuf well-known types our protos import (any, empty, timestamp) are vendored in
# protos/google/protobuf (copied from protobuf 3.21, BSD-3-Clause), so no -dev package is needed.

opts=(
  esModuleInterop=true
  forceLong=number
  outputServices=generic-definitions
  useDate=false
  outputTypeRegistry=true
  outputTypeAnnotations=static-only
  oneof=unions-value
  env=node
  useOptionals=messages
  useJsTypeOverride=true
  outputJsonMethods=false
)

generate() {
  local out="$1"
  command -v protoc >/dev/null || { echo "gen: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
  [ -x "$plugin" ] || { echo "gen: $plugin missing (run npm ci)" >&2; exit 1; }
  local files
  mapfile -t files < <(cd "$protos" && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
  ((${#files[@]})) || { echo "gen: no .proto files under $protos" >&2; exit 1; }
  rm -rf "$out"
  mkdir -p "$out"
  local IFS=,
  (cd "$protos" && protoc \
    --plugin="protoc-gen-ts_proto=$plugin" \
    --ts_proto_out="$out" \
    --ts_proto_opt="${opts[*]}" \
    -I . \
    "${files[@]}")
}

case "${1:-}" in
  "")
    generate "$gen_dir"
    ;;
  --out)
    generate "${2:?gen: --out needs a directory}"
    ;;
  --check)
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    generate "$tmp/gen"
    if ! diff -r "$gen_dir" "$tmp/gen" >"$tmp/diff"; then
      echo "gen-check: libs/protocols/src/gen is out of date with protos/ (or was edited by hand)." >&2
      echo "gen-check: run 'npm run gen -w @kata-ts/protocols' and commit the result. Differences:" >&2
      head -n 40 "$tmp/diff" >&2
      exit 1
    fi
    echo "gen-check: src/gen matches protos/"
    ;;
  *)
    echo "usage: gen.sh [--check | --out DIR]" >&2
    exit 2
    ;;
esac
