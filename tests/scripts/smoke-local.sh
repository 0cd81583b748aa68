#!/usr/bin/env bash
# End to end on this machine, as a user runs it: run-local.sh (cargo lambda watch, the fake
# Translate), then `tests/README.md`'s `cargo lambda invoke` payloads and a curl to a function URL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$PWD/.venv-tools/bin:$PATH"
port=9000
log=$(mktemp)

# Build first, outside the wait below: on a clean clone the fake Translate, the functions and the
# CLI take minutes to compile, and a wait that includes compiling fails on a slow machine.
cargo build --quiet --workspace --bins

setsid bash tests/scripts/run-local.sh --fake-translate >"$log" 2>&1 &
group=$!
cleanup() { kill -INT -- "-$group" 2>/dev/null || true; sleep 1; kill -- "-$group" 2>/dev/null || true; }
trap cleanup EXIT

ready=false
for _ in $(seq 1 240); do
  if grep -q "starting Runtime server" "$log" 2>/dev/null && curl -s -o /dev/null "http://127.0.0.1:$port/"; then ready=true; break; fi
  kill -0 "$group" 2>/dev/null || break
  sleep 0.5
done

fail() { echo "smoke test FAILED: $1"; echo "--- run-local.sh output"; tail -n 40 "$log"; exit 1; }
$ready || fail "cargo lambda watch did not start on 127.0.0.1:$port within 120 s"
invoke() { cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$port" "$1" --data-file "tests/invoke/$2"; }

# Every function of the one list (shared/functions.json) answers its ready event with its accepted status.
checked=0
rm -rf logs/event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json
while read -r fn status invoke; do
  out=$(cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$port" "$fn" --data-file "$invoke") || fail "invoke $fn"
  echo "$out" | grep -q "\"statusCode\":$status" || fail "$fn did not answer $status to $invoke: $out"
  checked=$((checked + 1))
done < <(python3 -c 'import json
for f in json.load(open("shared/functions.json")): print(f["name"], f["accepted_status"], f["invoke"])')

out=$(invoke premessage premessage-spanish.json) || fail "invoke premessage"
echo "$out" | grep -q 'Where is my order?' || fail "premessage did not translate: $out"
echo "$out" | grep -q '\\"language\\":\\"es\\"' || fail "premessage did not store the language: $out"

out=$(invoke postmessage postmessage-spanish.json) || fail "invoke postmessage"
echo "$out" | grep -q 'Déjame revisar tu pedido.' || fail "postmessage did not translate: $out"
# The fake damages unprotected Markdown, links and addresses; protected, they come back as sent.
echo "$out" | grep -qF '[en->es] See our **[FAQ](https://example.com/faq?a=1&b=2)** or write to help@example.com.' \
  || fail "postmessage damaged a formatted reply: $out"

out=$(invoke dialog dialog-language-translator.json) || fail "invoke dialog"
echo "$out" | grep -q 'Déjame revisar tu pedido.' || fail "dialog did not translate: $out"
echo "$out" | grep -q 'word_count' || fail "dialog did not answer in Language Translator's shape: $out"

rm -rf logs/event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json
out=$(invoke log log-message-logged.json) || fail "invoke log"
echo "$out" | grep -q '"statusCode":201' || fail "log did not store the event: $out"
[ -f logs/event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json ] || fail "log wrote no file under ./logs"

# The audio webhook's multipart recording, stored under ./recordings with its metadata beside it.
# AUDIO_DIR (./recordings) holds the keys, which start with AUDIO_KEY_PREFIX (recordings/).
recorded=recordings/recordings/dt=2024-10-21/50989a59-9976-4b3f-9a98-af42adcad69a
rm -rf "$recorded"
out=$(invoke audio audio-recording.json) || fail "invoke audio"
echo "$out" | grep -q '"statusCode":200' || fail "audio did not store the recording: $out"
compgen -G "$recorded/3daeb5d2-f52b-4c3e-a869-328b6fc6327c.*.mulaw" >/dev/null || fail "audio wrote no recording under ./recordings"
compgen -G "$recorded/3daeb5d2-f52b-4c3e-a869-328b6fc6327c.*.json" >/dev/null || fail "audio wrote no metadata under ./recordings"

token=$(python3 -c 'import json;print(json.load(open("tests/invoke/premessage-english.json"))["headers"]["authorization"])')
body=$(python3 -c 'import json;print(json.load(open("tests/invoke/premessage-english.json"))["body"])')
status=$(curl -s -o /tmp/smoke-english.json -w '%{http_code}' -H "authorization: $token" -H 'content-type: application/json' \
  --data "$body" "http://127.0.0.1:$port/lambda-url/premessage/")
[ "$status" = 200 ] || fail "English turn status $status"
grep -q '"text":"Where is my order?"' /tmp/smoke-english.json || fail "English turn changed: $(cat /tmp/smoke-english.json)"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data "$body" "http://127.0.0.1:$port/lambda-url/premessage/")
[ "$status" = 401 ] || fail "no token gave $status"
# The self-check a user runs after a deploy, against this local run: every function passes, and
# a wrong secret makes it fail with a non-zero exit.
cargo build --quiet -p webhooks-cli
target/debug/webhooks self-check --local --turns 3 || fail "self-check against the local run"
if target/debug/webhooks self-check --local --turns 1 --secret not-the-local-secret >/tmp/smoke-self-check.txt; then
  fail "self-check passed with a wrong secret: $(cat /tmp/smoke-self-check.txt)"
fi
grep -q 'wrong secret' /tmp/smoke-self-check.txt || fail "self-check did not say what to fix: $(cat /tmp/smoke-self-check.txt)"
echo "smoke: $((checked + 10)) passed, 0 failed"
