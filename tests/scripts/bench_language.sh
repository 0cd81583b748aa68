#!/usr/bin/env bash
# The language check's figures in shared/src/language/README.md, for the premessage release binary
# as built now (build it first, with the features of the candidate under test):
#   - binary size (host, unzipped and zipped);
#   - cold start: process start until the first poll for an event, over 30 starts;
#   - the first turn of a fresh process (what a cold start's first user waits for, models loaded
#     lazily included), then warm latency, and peak RSS, for a short English and a short German
#     turn (the fake Translate answers at once).
#
#   tests/scripts/bench_language.sh LABEL [VAR=VALUE ...]   # extra variables go to the function
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
label=${1:?usage: $0 LABEL [VAR=VALUE ...]}
shift
out=target/bench/language-$label
mkdir -p "$out"
binary=target/release/premessage
[ -x "$binary" ] && [ -x target/release/fake-translate ] || {
  echo "build first: cargo build --release -p premessage -p webhook-tests --bin premessage --bin fake-translate" >&2
  exit 2
}

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
request = json.load(open("tests/data/constructed-pre-message-request-actions-spanish.json"))
# A first turn: nothing stored, no browser hint.
request["payload"]["context"]["skills"]["actions skill"]["user_defined"] = {}
del request["payload"]["context"]["integrations"]
for name, text in [("english", "water parks"), ("german", "Rechnung bitte")]:
    request["payload"]["input"]["text"] = text
    json.dump(request, open(f"{out}/{name}.json", "w"))
PY

port=4599
target/release/fake-translate "127.0.0.1:$port" > "$out/fake-translate.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
sleep 0.5

envs=(--env WEBHOOK_AUTH=none --env "AWS_ENDPOINT_URL_TRANSLATE=http://127.0.0.1:$port"
  --env SUPPORTED_LANGUAGES=en,es,fr,de,pt,it,nl,ja,zh,ko,ar,ru,hi --env TRANSLATE_CACHE_ENTRIES=0)
for variable in "$@"; do envs+=(--env "$variable"); done
python3 tests/scripts/bench_process.py "$binary" "$out/english.json" 200 --cold-runs 30 "${envs[@]}" \
  --log "$out/english.log" --json-out "$out/english.result.json" > "$out/english.out"
python3 tests/scripts/bench_process.py "$binary" "$out/german.json" 100 --cold-runs 0 "${envs[@]}" \
  --log "$out/german.log" --json-out "$out/german.result.json" > "$out/german.out"

python3 - "$out" "$binary" "$label" <<'PY'
import io, json, math, os, statistics, sys, zipfile
out, binary, label = sys.argv[1:]
def pct(values, p):
    s = sorted(values); return s[max(0, math.ceil(p / 100 * len(s)) - 1)]
b = io.BytesIO(); z = zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED, compresslevel=9); z.write(binary, "bootstrap"); z.close()
print(f"{label}: binary {os.path.getsize(binary) / 1e6:.1f} MB ({len(b.getvalue()) / 1e6:.1f} MB zipped)")
english = json.load(open(f"{out}/english.result.json"))
cold = english["cold_start_ms"]
print(f"  cold start median {statistics.median(cold):.2f} ms, p90 {pct(cold, 90):.2f} ms")
for name in ["english", "german"]:
    r = json.load(open(f"{out}/{name}.result.json"))
    warm = r["warm_ms"]
    # The fake marks what it translated "[src->en] ...".
    translated = "->en]" in json.dumps(r["first_response"], ensure_ascii=False)
    print(f"  {name}: first turn {warm[0]:.2f} ms, warm median {statistics.median(warm[1:]):.3f} ms,"
          f" peak RSS {r['VmHWM_kB'] / 1024:.1f} MB, translated: {translated}")
PY
