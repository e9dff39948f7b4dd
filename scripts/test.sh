#!/usr/bin/env bash
# ./sluice test: installs what the tests need (Debian packages; nothing else is downloaded), builds, and runs
# every test project one after another (timing tests must not share the 2 cores with other suites).
# Extra arguments go to `dotnet test`, e.g. ./sluice test --filter FullyQualifiedName~Overload
set -euo pipefail
case "${1:-}" in
  -h|--help|-\?)
    cat <<'USAGE'
usage: ./sluice test [DOTNET_TEST_ARGS...]
  Installs what the tests need (Debian packages; run as root the first time), builds Sluice.slnx in Release and
  runs every test project one after another. Extra arguments go to `dotnet test`, e.g.
    ./sluice test --filter FullyQualifiedName~Overload
  Results and the log: artifacts/test-results/.
USAGE
    exit 0
    ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash "$root/scripts/install-test-deps.sh"

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
echo "==> building"
dotnet build "$root/Sluice.slnx" -c Release -nologo -v q -clp:ErrorsOnly

echo "==> testing"
status=0
log="$results/dotnet-test.log"
# Release: the engine and timing tests measure optimised code. -m:1 runs test assemblies one at a time.
dotnet test "$root/Sluice.slnx" --no-build -c Release -m:1 --results-directory "$results" --logger "trx" "$@" 2>&1 | tee "$log" || status=$?

passed=$(grep -hoE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -hoE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -hoE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ $status -ne 0 || $failed -ne 0 ]]; then
  exit 1
fi
if [[ $passed -eq 0 ]]; then
  echo "no test ran" >&2
  exit 1
fi
