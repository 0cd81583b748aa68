#!/usr/bin/env bash
# Offline checks of template.yaml: no AWS credentials, no Docker, no cargo.
#   tests/scripts/check-template.sh           lint + validate + lint and checkov on the transformed
#                                             template + the template tests (template_test.py)
#   tests/scripts/check-template.sh --build   also `sam build` (compiles both functions; slow)
#   tests/scripts/check-template.sh --template FILE   check another template (default: template.yaml)
set -euo pipefail

TEMPLATE=template.yaml
build=0
while (( $# )); do
    case "$1" in
        --build) build=1 ;;
        --template)
            [[ $# -ge 2 ]] || { echo "check-template: --template needs a file" >&2; exit 2; }
            # Made absolute before the cd below.
            TEMPLATE="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift ;;
        -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
        *) echo "check-template: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"

# Pinned so that a new cfn-lint release can't silently change what passes.
# sam_to_cfn.py needs aws-sam-translator and cfn-lint; both are sam-cli dependencies,
# pinned here as well because the script imports/calls them directly.
SAM_REQUIREMENTS=(aws-sam-cli==1.170.0 aws-sam-translator==1.115.0 cfn-lint==1.58.0)
CARGO_LAMBDA_REQUIREMENT=cargo-lambda==1.9.2
# checkov gets a venv of its own: its dependency pins (boto3, networkx, ...) are not sam-cli's.
# First install about 70 s; a re-run finds the stamp and installs nothing.
CHECKOV_REQUIREMENT=checkov==3.3.30
CHECKOV_SKIPS=tests/scripts/checkov-skips.txt
SAM_VENV="$REPO/.venv-sam"
TOOLS_VENV="$REPO/.venv-tools"
CHECKOV_VENV="$REPO/.venv-checkov"
REGION=us-east-1

export SAM_CLI_TELEMETRY=0          # otherwise SAM prints a banner and phones home
export AWS_DEFAULT_REGION="$REGION" # the translator needs a region, never credentials

step() { printf '==> %s\n' "$*"; }
fail() { printf 'template checks: FAILED: %s\n' "$*" >&2; exit 1; }

# Create or update a venv so that it holds exactly the given pins; a stamp file
# makes re-runs instant and re-installs when the pins change.
ensure_venv() {
    local venv=$1; shift
    local stamp="$venv/.pinned-requirements"
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$*" ]]; then
        return 0
    fi
    step "installing $* into ${venv#"$REPO"/}"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" || fail "python3 -m venv $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" || fail "pip install $*"
    printf '%s' "$*" > "$stamp"
}

ensure_venv "$SAM_VENV" "${SAM_REQUIREMENTS[@]}"
ensure_venv "$CHECKOV_VENV" "$CHECKOV_REQUIREMENT"
SAM="$SAM_VENV/bin/sam"
CFN_LINT="$SAM_VENV/bin/cfn-lint"
PY="$SAM_VENV/bin/python"
[[ -f "$TEMPLATE" ]] || fail "template not found: $TEMPLATE"

tmpdir="$(mktemp -d)"
trap 'rm -rf "$tmpdir"' EXIT

step "sam validate --lint (cfn-lint on the SAM template)"
"$SAM" validate --template-file "$TEMPLATE" --lint \
    || fail "sam validate --lint"

step "sam validate --region $REGION (SAM translator)"
"$SAM" validate --template-file "$TEMPLATE" --region "$REGION" \
    || fail "sam validate --region $REGION"

# cfn-lint >= 1.58 skips the SAM transform, so it cannot see e.g. a bad Runtime on
# AWS::Serverless::Function; linting the expanded CloudFormation catches it.
step "cfn-lint on the transformed template"
"$PY" tests/scripts/sam_to_cfn.py "$TEMPLATE" > "$tmpdir/transformed.json" \
    || fail "SAM transform (tests/scripts/sam_to_cfn.py)"
if ! "$CFN_LINT" --regions "$REGION" -- "$tmpdir/transformed.json"; then
    trap - EXIT   # keep the file the line numbers above refer to
    fail "cfn-lint on the transformed template (kept at $tmpdir/transformed.json)"
fi

# The skip list: "ID reason" lines; an ID without a reason is refused, so none goes unexplained.
skips="$(awk '
    /^[[:space:]]*(#|$)/ { next }
    NF < 2 { printf "check-template: %s has no reason in the skip list\n", $1 > "/dev/stderr"; bad = 1 }
    { ids = ids (ids ? "," : "") $1 }
    END { if (bad) exit 1; print ids }' "$CHECKOV_SKIPS")" || fail "$CHECKOV_SKIPS: every skipped check needs a reason"
step "checkov on the transformed template (skipped, each with its reason in $CHECKOV_SKIPS: $skips)"
# --skip-download: no call to the Prisma Cloud API, so the scan stays offline.
if ! "$CHECKOV_VENV/bin/checkov" --file "$tmpdir/transformed.json" --framework cloudformation \
        --skip-check "$skips" --skip-download --quiet --compact; then
    trap - EXIT
    fail "checkov on the transformed template (kept at $tmpdir/transformed.json)"
fi

step "template tests (tests/scripts/template_test.py on the transformed template)"
"$PY" tests/scripts/template_test.py "$TEMPLATE" || fail "template tests"

if (( build )); then
    # sam build runs `cargo lambda build --release --arm64`: it needs cargo-lambda
    # (and the zig it ships with) on PATH plus the aarch64 std library.
    ensure_venv "$TOOLS_VENV" "$CARGO_LAMBDA_REQUIREMENT"
    export PATH="$TOOLS_VENV/bin:$SAM_VENV/bin:$PATH"
    step "rustup target add aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu \
        || fail "rustup target add aarch64-unknown-linux-gnu (is the rustup dist server reachable?)"
    cargo lambda --version >/dev/null || fail "cargo lambda not usable from $TOOLS_VENV/bin"
    step "sam build"
    "$SAM" build --template-file "$TEMPLATE" || fail "sam build"
fi

echo "template checks: OK"
