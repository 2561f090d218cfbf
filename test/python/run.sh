#!/usr/bin/env bash
# test:python: the Python package, proven. Installs the freshly built wheel (dist/python, from
# `npx projen package:python`) in a venv built without PyPI (test/python/environment.sh), then:
#   - checks the package's description (its PyPI page): every example is Python, none is TypeScript;
#   - synthesizes every whole-app Python example of that description (the README's own Python example and
#     the translations of its TypeScript ones) and each app of test/python/apps, and compares each template
#     with the same app in TypeScript: they must be identical;
#   - runs the README's compliance fragment (cdk-nag in Python) on a lake;
#   - checks that invalid props reach Python as the construct's own sentences.
# Ends with `python: N passed, M failed`; exits 1 when anything failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
work="$repo/test/.tmp/python"
venv="$work/venv"
report="$work/report.txt"

wheel="$(ls dist/python/*.whl 2>/dev/null | head -n 1 || true)"
[ -n "$wheel" ] || { echo "test:python: there is no wheel in dist/python: run npx projen package:python first." >&2; exit 1; }

test/python/environment.sh "$venv"
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/pip" install --quiet --no-deps --no-index "$wheel"
# The wheel's own requirements (aws-cdk-lib, constructs, jsii, publication) are met by the venv.
check="$("$venv/bin/pip" check 2>&1 || true)"
if grep -iq '^cdk-health-data-lake' <<<"$check"; then echo "$check"; echo "test:python: the wheel's requirements are not met." >&2; exit 1; fi

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 JSII_RUNTIME_PACKAGE_CACHE_ROOT="$work/jsii-cache"
rm -rf "$work/examples" "$work/cdk.out" "$report"
mkdir -p "$work/examples" "$work/cdk.out"
: >"$report"

# Runs a check's command; its `ok - ` / `not ok - ` lines go to the report, and a command that fails
# without saying why is a failed check of its own.
run() {  # $1 = what, then the command
  local what="$1" log status=0; shift
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" = 0 ]; then
    grep -E '^(not )?ok - ' "$log" | tee -a "$report" || true
    grep -qE '^(not )?ok - ' "$log" || echo "ok - $what" | tee -a "$report"
  else
    grep -vE '^(not )?ok - ' "$log" | tail -40
    grep -E '^(not )?ok - ' "$log" | tee -a "$report" || true
    echo "not ok - $what (exit $status)" | tee -a "$report"
  fi
  cat "$log" >>"$work/run.log"; rm -f "$log"
}
synth_python() { CDK_OUTDIR="$2" "$venv/bin/python" "$1"; }
synth_typescript() { CDK_OUTDIR="$2" TS_NODE_PROJECT=tsconfig.dev.json TS_NODE_TRANSPILE_ONLY=true node -r ts-node/register test/python/synth-typescript.ts "$1"; }
twins() {  # $1 = name, $2 = Python app, $3 = TypeScript app
  local out="$work/cdk.out/$1"
  # Side by side: each synthesis is mostly one process on one core.
  run "$1: the Python app synthesizes" synth_python "$2" "$out/python" &
  run "$1: the TypeScript app synthesizes" synth_typescript "$3" "$out/typescript"
  wait
  run "$1: templates compared" "$venv/bin/python" test/python/compare.py "$1" "$out/python" "$out/typescript"
}
: >"$work/run.log"

echo "test:python: the package's description (the PyPI page) of $(basename "$wheel") ($(date +%T))"
run "the description's examples written out" "$venv/bin/python" test/python/description.py "$wheel" README.md "$work/examples"
for python in "$work"/examples/*.py; do
  name="description example $(basename "$python" .py)"
  if [ -f "${python%.py}.ts" ]; then
    twins "$name" "$python" "${python%.py}.ts"
  else
    run "$name: the fragment runs and synthesizes" synth_python "$python" "$work/cdk.out/$(basename "$python" .py)"
  fi
done

echo "test:python: the apps of test/python/apps ($(date +%T))"
for python in test/python/apps/*.py; do
  twins "$(basename "$python" .py) app" "$python" "${python%.py}.ts"
done

echo "test:python: invalid props ($(date +%T))"
run "invalid props checked" "$venv/bin/python" test/python/invalid_props.py

passed="$(grep -c '^ok - ' "$report" || true)"
failed="$(grep -c '^not ok - ' "$report" || true)"
echo "python: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
