#!/usr/bin/env bash
# Runs the multi-instance claim tests again and again with every core kept busy, to shake out races that a quiet
# machine hides. Not part of CI. Usage: scripts/stress-claims.sh [rounds] [test filter]
# Needs the integration tests built in Release (dotnet build -c Release) and Dovecot installed (see .ci/run).
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

rounds=${1:-50}
filter=${2:-FullyQualifiedName~ImapClaimTests}
log_dir=artifacts/stress-claims
rm -rf "$log_dir" && mkdir -p "$log_dir"

# One busy loop per core, for the whole run.
load=()
for _ in $(seq "$(nproc)"); do
    sh -c 'while :; do :; done' &
    load+=($!)
done
trap 'kill "${load[@]}" 2>/dev/null' EXIT

passed=0 failed=0
for round in $(seq "$rounds"); do
    if CI=true dotnet test tests/Mailing.Toolkit.IntegrationTests -c Release --no-build --filter "$filter" \
        >"$log_dir/round-$round.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "round $round failed: $log_dir/round-$round.log"
    fi
done

echo "$rounds rounds with $(nproc) busy loops: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
