#!/usr/bin/env bash
# Install the servers the shared-state tests start for themselves: redis-server and
# PostgreSQL, from Debian's archive, when they are missing. Needs root (CI runs as root);
# without root it only says what is missing. The tests start their own servers on free
# loopback ports in temporary directories and stop them afterwards: nothing installed here
# is started or enabled as a system service.
# Idempotent: when both servers are there it does nothing.
set -euo pipefail

have_redis() { command -v redis-server >/dev/null 2>&1; }
have_postgres() {
    command -v initdb >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

missing=()
have_redis || missing+=(redis-server)
have_postgres || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-services: missing ${missing[*]}; install them (Debian: apt-get install" \
         "${missing[*]}) or point the tests at them; the shared-state tests will fail" \
         "without them (GPS_ALLOW_MISSING_SERVICES=1 skips them locally)" >&2
    exit 0
fi

echo "setup-services: installing ${missing[*]} from the Debian archive" >&2
export DEBIAN_FRONTEND=noninteractive
# Do not start the packaged system services: the tests run their own instances.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
