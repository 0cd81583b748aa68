#!/usr/bin/env bash
# The performance figures of tests/README.md, for each function:
#   - release binary size, host and arm64 deploy package (unzipped and zipped);
#   - cold start: process start until it polls the Lambda Runtime API for its first event
#     (a local Runtime API, tests/scripts/bench_process.py; no Docker);
#   - warm latency (median, p99) and peak memory per scenario, against the fake Translate with a
#     fixed 20 ms added delay, so the concurrency of postmessage shows;
#   - the in-process criterion benches (handler time).
#
#   tests/scripts/bench.sh               # everything; about 20 minutes on 2 cores, most of it release builds
#   tests/scripts/bench.sh --no-arm64    # skip the arm64 package build
#   tests/scripts/bench.sh --quick       # fewer runs (a smoke test of the harness)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$PWD/.venv-tools/bin:$PATH"

arm64=true cold_runs=30 warm=1000 slow=200 criterion=true
for argument in "$@"; do
  case "$argument" in
    --no-arm64) arm64=false ;;
    --quick) cold_runs=3 warm=50 slow=10 criterion=false ;;
    *) echo "usage: $0 [--no-arm64] [--quick]" >&2; exit 2 ;;
  esac
done

out=target/bench
mkdir -p "$out"
# The one list of functions (shared/src/functions.rs, kept as shared/functions.json): "name package status invoke" lines.
registry=$(python3 -c 'import json
for f in json.load(open("shared/functions.json")): print(f["name"], f["package"], f["accepted_status"], f["invoke"])')
functions=$(awk '{print $1}' <<<"$registry")   # the binaries
packages=$(awk '{printf "-p %s ", $2}' <<<"$registry")

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
echo "== release build (host)"
# shellcheck disable=SC2086 # one word per package option
cargo build --release --quiet $packages
cargo build --release --quiet -p webhook-tests --bin fake-translate

size_of() { stat -c %s "$1"; }
zipped_size() { python3 -c 'import io,sys,zipfile
b=io.BytesIO(); z=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED,compresslevel=9); z.write(sys.argv[1],"bootstrap"); z.close(); print(len(b.getvalue()))' "$1"; }

echo "== sizes (bytes)"
printf '%-12s %14s %14s %14s\n' function host-unzipped arm64-unzipped arm64-zipped
for fn in $functions; do
  host=$(size_of "target/release/$fn")
  arm_unzipped=- arm_zipped=-
  if $arm64 && command -v cargo-lambda >/dev/null; then
    cargo lambda build --release --arm64 --quiet --bin "$fn" >/dev/null 2>&1 || true
    if [ -f "target/lambda/$fn/bootstrap" ]; then
      arm_unzipped=$(size_of "target/lambda/$fn/bootstrap"); arm_zipped=$(zipped_size "target/lambda/$fn/bootstrap")
    fi
  fi
  printf '%-12s %14s %14s %14s\n' "$fn" "$host" "$arm_unzipped" "$arm_zipped"
done

port=4598
target/release/fake-translate "127.0.0.1:$port" --delay-ms 20 > "$out/fake-translate.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
sleep 0.5

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
data = lambda name: json.load(open(f"tests/data/{name}"))
pre = data("ibm-docs-pre-message-request-sms-attachment.json")
pre["payload"]["input"]["text"] = "Where is my order?"
json.dump(pre, open(f"{out}/pre-english.json", "w"))
es = data("constructed-pre-message-request-actions-spanish.json")
json.dump(es, open(f"{out}/pre-spanish.json", "w"))
post = data("capture-post-message-request-dialog.json")
post["payload"]["output"]["generic"] = [
    {"response_type": "text", "text": "Let me check your order."},
    {"response_type": "text", "text": "It left our warehouse yesterday."},
    {"response_type": "option", "title": "What would you like to do?", "options": [
        {"label": "Track order", "value": {"input": {"text": "Track order"}}},
        {"label": "Cancel order", "value": {"input": {"text": "Cancel order"}}}]},
    {"response_type": "text", "text": "Anything else?"}]
json.dump(post, open(f"{out}/post-six-items.json", "w"))
# 5,000 distinct texts (words, not numbers, which would become one template): the caps' case.
word = lambda n: "".join(chr(97 + n // d % 26) for d in (676, 26, 1))
post["payload"]["output"]["generic"] = [
    {"response_type": "text", "text": f"Answer {word(n)} is ready for you."} for n in range(5000)]
json.dump(post, open(f"{out}/post-5000-texts.json", "w"))
json.dump(data("ibm-docs-post-message-request-actions.json"), open(f"{out}/post-english.json", "w"))
json.dump({"action": "detect", "text": "¿Dónde está mi pedido?"}, open(f"{out}/dialog-detect.json", "w"))
json.dump(data("constructed-log-message-logged.json"), open(f"{out}/log-message-logged.json", "w"))
PY

scenarios=()
run() {  # name binary body count cold-runs [extra env...]; EVENT=file: send that ready event as it is (body -)
  local name=$1 fn=$2 body=$3 count=$4 cold=$5; shift 5
  scenarios+=("$name")
  local envs=(--env WEBHOOK_AUTH=none --env "AWS_ENDPOINT_URL_TRANSLATE=http://127.0.0.1:$port")
  for e in "$@"; do envs+=(--env "$e"); done
  local body_file=$out/$body
  if [ -n "${EVENT:-}" ]; then body_file=-; envs+=(--envelope "$EVENT"); fi
  python3 tests/scripts/bench_process.py "target/release/$fn" "$body_file" "$count" --cold-runs "$cold" --expect-status "${EXPECT:-200}" \
    "${envs[@]}" --log "$out/$name.log" --json-out "$out/$name.json" > "$out/$name.out"
}

echo "== whole process (release, host): cold start over $cold_runs starts, warm latency over $warm invocations ($slow with a Translate round trip)"
run premessage-english premessage pre-english.json "$warm" "$cold_runs"
run premessage-spanish premessage pre-spanish.json "$slow" 0 TRANSLATE_CACHE_ENTRIES=0
run postmessage-english postmessage post-english.json "$warm" "$cold_runs"
run postmessage-six-items postmessage post-six-items.json "$slow" 0 TRANSLATE_CACHE_ENTRIES=0
run postmessage-six-items-cached postmessage post-six-items.json "$warm" 0
# Peak memory within the function's 128 MB with 5,000 texts (MAX_TEXTS_PER_REPLY translated, the rest as they were).
run postmessage-5000-texts postmessage post-5000-texts.json 20 0 TRANSLATE_CACHE_ENTRIES=0
run dialog-detect dialog dialog-detect.json "$warm" "$cold_runs"
EXPECT=201 run log-to-directory log log-message-logged.json "$warm" "$cold_runs" "LOG_DIR=$out/logs"
# A function with no scenario above still gets one: its ready local event as it is (its body and
# content type: the audio webhook's is a base64 multipart recording), answered with its accepted
# status, cold and warm.
while read -r fn _ status invoke; do
  if ! printf '%s\n' "${scenarios[@]}" | grep -q "^$fn-"; then
    EXPECT=$status EVENT=$invoke run "$fn-sample" "$fn" - "$warm" "$cold_runs" "LOG_DIR=$out/logs" "AUDIO_DIR=$out/recordings"
  fi
done <<<"$registry"

python3 - "$out" "${scenarios[@]}" <<'PY'
import json, math, statistics, sys
out, scenarios = sys.argv[1], sys.argv[2:]
def pct(v, p):
    s = sorted(v); return s[max(0, math.ceil(p / 100 * len(s)) - 1)]
print(f"{'scenario':30} {'cold median':>12} {'cold p90':>9} {'warm median':>12} {'warm p99':>9} {'peak RSS':>9}")
for name in scenarios:
    r = json.load(open(f"{out}/{name}.json"))
    cold = r.get("cold_start_ms")
    c1 = f"{statistics.median(cold):.2f} ms" if cold else "-"
    c2 = f"{pct(cold, 90):.2f} ms" if cold else "-"
    w = r["warm_ms"]
    print(f"{name:30} {c1:>12} {c2:>9} {statistics.median(w):>9.3f} ms {pct(w, 99):>6.3f} ms {r['VmHWM_kB'] / 1024:>6.1f} MB")
print("(the fake Translate adds 20 ms per call; latencies include the local Runtime API's own overhead)")
PY

if $criterion; then
  echo "== in-process handler time (criterion)"
  cargo bench -p webhook-tests --bench handlers 2>&1 | grep -E "^($(paste -sd'|' <<<"$functions")|language check)|time:"
fi
