#!/usr/bin/env bash
# Runs every function locally with `cargo lambda watch` on http://127.0.0.1:9000, installing
# cargo-lambda into .venv-tools on first use.
#
#   tests/scripts/run-local.sh                   # real Amazon Translate if AWS credentials exist,
#                                                # otherwise translation is off (said at start)
#   tests/scripts/run-local.sh --fake-translate  # the tests' fake Translate on 127.0.0.1:4599
#   tests/scripts/run-local.sh --local-dynamodb  # the translation memory in a local DynamoDB
#                                                # (dynalite on 127.0.0.1:4598, table `translations`,
#                                                # in memory: gone when the script stops)
#
# Functions answer at http://127.0.0.1:9000/lambda-url/<function>/ . Unless you set them,
# WEBHOOK_AUTH=jwt and WEBHOOK_SECRET=local-dev-secret-not-for-any-deployment (the dialog function: Basic auth with
# watson:local-dev-secret-not-for-any-deployment): the payloads in tests/invoke carry matching credentials. Never use
# these secrets in a deployment. <FUNCTION>_<VARIABLE> sets a variable for one function only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

fake_translate=false
local_dynamodb=false
for argument in "$@"; do
  case "$argument" in
    --fake-translate) fake_translate=true ;;
    --local-dynamodb) local_dynamodb=true ;;
    *) echo "usage: $0 [--fake-translate] [--local-dynamodb]" >&2; exit 2 ;;
  esac
done

if [ ! -x .venv-tools/bin/cargo-lambda ]; then
  echo "installing cargo-lambda into .venv-tools (about 15 s)"
  python3 -m venv .venv-tools
  .venv-tools/bin/pip install --quiet cargo-lambda==1.9.2
fi
export PATH="$PWD/.venv-tools/bin:$PATH"

export WEBHOOK_AUTH="${WEBHOOK_AUTH:-jwt}"
export WEBHOOK_SECRET="${WEBHOOK_SECRET:-local-dev-secret-not-for-any-deployment}"
export ASSISTANT_LANGUAGE="${ASSISTANT_LANGUAGE:-en}"
# Dialog callouts carry no Signed JWT: the dialog function gets Basic auth (see tests/invoke/dialog-*.json).
export DIALOG_WEBHOOK_AUTH="${DIALOG_WEBHOOK_AUTH:-basic}"
export DIALOG_WEBHOOK_SECRET="${DIALOG_WEBHOOK_SECRET:-watson:local-dev-secret-not-for-any-deployment}"
# The functions' log level goes to the functions only (an --env-file, since RUST_LOG may hold
# commas and --env-var splits at them): cargo-lambda reads RUST_LOG for its own log too, and at
# `info` it prints its whole configuration when stopped.
env_file="$(mktemp)"
printf 'RUST_LOG=%s\n' "${RUST_LOG:-info}" >"$env_file"
unset RUST_LOG

pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -f "$env_file"' EXIT

if $local_dynamodb; then
  [ -d tests/dynamodb/node_modules/dynalite ] || npm ci --prefix tests/dynamodb --no-audit --no-fund
  node tests/dynamodb/server.js 4598 translations &
  pids+=($!)
  export TRANSLATION_TABLE=translations TRANSLATION_MEMORY_ENDPOINT=http://127.0.0.1:4598
  # The key of the memory's session counts (shared/README.md, "What the memory stores"): a fresh
  # random one per run, as the in-memory table is fresh too.
  MEMORY_ADMIT_KEY="${MEMORY_ADMIT_KEY:-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')}"
  export MEMORY_ADMIT_KEY
fi
# Without it (and no TRANSLATION_TABLE of yours) the memory is off, and each function's first log
# line says so.

if $fake_translate; then
  cargo build --quiet -p webhook-tests --bin fake-translate
  target/debug/fake-translate 127.0.0.1:4599 &
  pids+=($!)
  export AWS_ENDPOINT_URL_TRANSLATE=http://127.0.0.1:4599
  export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
fi

# Bound to loopback: cargo lambda's default is every interface.
cargo lambda watch -A 127.0.0.1 -P "${PORT:-9000}" --env-file "$env_file"
