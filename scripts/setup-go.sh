#!/usr/bin/env bash
# The Go side of the go-plugin bridge tests: Debian's Go toolchain and go-plugin, our
# protos generated into Go, and our Go binaries (go/plugin: a go-plugin plugin; go/host:
# a go-plugin host), built offline in GOPATH mode.
#
#   bash scripts/setup-go.sh            install (as root, via apt) what is missing, build
#   bash scripts/setup-go.sh --bin-dir  the same, then print the directory of the binaries
#   bash scripts/setup-go.sh --bin-dir --no-install   build only if Go is there (else exit 3)
#
# Binaries live in $XDG_CACHE_HOME/gateway-plugin-sandbox/go/<hash>/bin (default
# ~/.cache/...), keyed by a hash of go/, the protos, this script and the tool versions,
# so a second run only hashes. Generated Go code stays in that build dir (never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PACKAGES=(golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev protoc-gen-go
          protoc-gen-go-grpc protobuf-compiler golang-github-golang-protobuf-1-5-dev
          golang-google-protobuf-dev)
# Protos compiled into Go (go-plugin's own broker/controller/stdio come with go-plugin).
PROTOS=(plugin config_provider plugin_events ai_studio_management microgateway_management)

say() { echo "setup-go: $*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ " $* " == *" --no-install "* ]]; then
    say "not installed: ${missing[*]}"
    exit 3
  fi
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]}; run this script as root (it uses apt-get)"
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

CACHE=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gateway-plugin-sandbox/go
versions=$(dpkg-query -W -f='${Package}=${Version}\n' "${PACKAGES[@]}")
hash=$( { printf '%s\n' "$versions"; cat scripts/setup-go.sh;
          for p in "${PROTOS[@]}"; do cat "proto/$p.proto"; done;
          find go -type f \( -name '*.go' \) | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done
        } | sha256sum | cut -c1-16)
OUT=$CACHE/$hash
BIN=$OUT/bin

if [ ! -x "$BIN/goplugin" ] || [ ! -x "$BIN/gohost" ]; then
  say "building the Go plugin and host into $OUT"
  tmp=$(mktemp -d "$CACHE.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE"; mktemp -d "$CACHE.tmp.XXXXXX"; })
  trap 'rm -rf "$tmp"' EXIT
  src=$tmp/gopath/src/gpsandbox
  mkdir -p "$src/wire" "$tmp/bin"
  maps=("Mplugin.proto=gpsandbox/wire/pluginpb;pluginpb"
        "Mconfig_provider.proto=gpsandbox/wire/configpb;configpb"
        "Mplugin_events.proto=gpsandbox/wire/eventspb;eventspb"
        "Mai_studio_management.proto=gpsandbox/wire/studiopb;studiopb"
        "Mmicrogateway_management.proto=gpsandbox/wire/gatewaypb;gatewaypb")
  goopt=$(IFS=,; echo "${maps[*]}")
  for p in "${PROTOS[@]}"; do
    protoc -I proto -I /usr/include --go_out="$tmp/gopath/src" --go_opt="$goopt" \
      --go-grpc_out="$tmp/gopath/src" --go-grpc_opt="$goopt" "proto/$p.proto"
  done
  cp -r go/plugin go/host go/common "$src/"
  export GO111MODULE=off GOPATH="$tmp/gopath:/usr/share/gocode" GOCACHE="$CACHE/gocache"
  (cd "$src/plugin" && go build -o "$tmp/bin/goplugin" .)
  (cd "$src/host" && go build -o "$tmp/bin/gohost" .)
  mkdir -p "$OUT"
  rm -rf "$OUT/bin.new" && mv "$tmp/bin" "$OUT/bin.new" && rm -rf "$BIN" && mv "$OUT/bin.new" "$BIN"
fi

touch "$OUT"  # in use: builds unused for a week are removed
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name '????????????????' -mtime +7 -exec rm -rf {} + 2>/dev/null || true

if [[ " $* " == *" --bin-dir "* ]]; then
  echo "$BIN"
fi
