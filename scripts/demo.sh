#!/usr/bin/env bash
# The main job: set up, load the example plugins on the default embedded setup, show
# them answering real requests through `runtime call`, then print `runtime bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
RT=.venv/bin/runtime
TIER="${TIER:-inprocess}"   # the wasm tier is not built yet; see README "Status"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

body=$(printf '%s' '{"model":"gpt-4o","messages":[{"role":"user","content":"What is a plugin sandbox?"}]}' | base64 -w0)
answer=$(printf '%s' '{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":"A safe box."}}]}' | base64 -w0)
printf '{"method":"POST","path":"/v1/chat/completions","body":"%s"}' "$body" > "$tmp/pre.json"
printf '{"request":{"method":"POST","path":"/v1/chat/completions","body":"%s","context":{"appId":3}},"appId":"3","authenticated":true}' "$body" > "$tmp/post.json"
printf '{"headers":{"content-type":"application/json"},"context":{"requestId":"demo-1"}}' > "$tmp/headers.json"
printf '{"body":"%s","headers":{"content-type":"application/json"}}' "$answer" > "$tmp/write.json"

show() {  # title, then a runtime call; decodes the body field for reading
    echo; echo "== $1"; shift
    "$RT" call "$@" --tier "$TIER" --ephemeral | .venv/bin/python -c '
import base64, json, sys
for line in sys.stdin:
    doc = json.loads(line)
    if doc.get("body"):
        doc["body"] = base64.b64decode(doc["body"]).decode("utf-8", "replace")
    print(json.dumps(doc, indent=2, ensure_ascii=False))'
}
"$RT" info
show "message_modifier: pre_auth appends an instruction to the user message" \
    examples/message_modifier --hook process_pre_auth --input "$tmp/pre.json" --config instruction="Answer in one sentence."
show "request_enricher: post_auth adds a system message and the app id" \
    examples/request_enricher --hook process_post_auth --input "$tmp/post.json" --config instruction="Be brief."
show "response_modifier: on_before_write_headers marks the response" \
    examples/response_modifier --hook on_before_write_headers --input "$tmp/headers.json"
show "response_modifier: on_before_write appends a footer" \
    examples/response_modifier --hook on_before_write --input "$tmp/write.json" --config footer=" (answered through the gateway)"
echo; echo "== runtime bench --quick"
"$RT" bench --quick
