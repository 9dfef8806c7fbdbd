#!/usr/bin/env bash
# Coverage-guided fuzzing of OpenChat's decoders: SharpFuzz instruments OpenChat.Engine.dll and
# afl-fuzz drives fuzz/OpenChat.Fuzz one catalog entry at a time, each for --seconds.
#
#   bench/fuzz.sh [--seconds N] [--out DIR] [--timeout-ms MS] [--keep-bin DIR] [target...]
#
# With no target, every entry of the catalog (`OpenChat.Fuzz list`) runs. Only one afl-fuzz runs
# at a time, and every one this script started is stopped when it ends or is interrupted.
# The findings land under --out (default: a new folder in $TMPDIR), never in the repository.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
seconds=60
timeout_ms=5000
out=""

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --timeout-ms) timeout_ms="$2"; shift 2 ;;
    -h|--help) usage ;;
    --*) echo "unknown option $1" >&2; usage ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "--seconds must be a positive whole number" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found (Debian package afl++)" >&2; exit 2; }

if [[ -z "$out" ]]; then
  out="$(mktemp -d "${TMPDIR:-/tmp}/openchat-fuzz.XXXXXX")"
fi
mkdir -p "$out"
bin="$out/bin"

afl_pid=""
stop_afl() {
  # afl-fuzz runs in a session of its own (setsid), so its whole group, the dotnet fork server
  # and its out-of-process child included, is stopped together.
  if [[ -n "$afl_pid" ]] && kill -0 "$afl_pid" 2>/dev/null; then
    kill -INT -- "-$afl_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$afl_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$afl_pid" 2>/dev/null || true
    wait "$afl_pid" 2>/dev/null || true
  fi
  afl_pid=""
}
trap stop_afl EXIT
trap 'stop_afl; exit 130' INT TERM

rm -rf "$bin"   # sharpfuzz refuses an assembly it has already instrumented
echo "== build (Release) into $bin"
cd "$repo"
dotnet build fuzz/OpenChat.Fuzz/OpenChat.Fuzz.csproj -c Release -v q -o "$bin" 2>&1 | grep -E " error |Build succeeded" | sort -u
[[ -f "$bin/OpenChat.Fuzz.dll" ]] || { echo "build failed" >&2; exit 1; }

# The campaign's input: the committed seeds plus those carrying the fixture's certificates and keys
# (fuzz/Targets/FuzzFixture.cs), written before the engine is instrumented (afterwards it runs
# only under afl-fuzz).
seeds="$out/seeds"
echo "== seeds into $seeds"
dotnet "$bin/OpenChat.Fuzz.dll" seeds "$seeds" --with-fixture

echo "== instrument OpenChat.Engine.dll"
dotnet tool restore >/dev/null
dotnet sharpfuzz "$bin/OpenChat.Engine.dll"

if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(dotnet "$bin/OpenChat.Fuzz.dll" list)
fi

# dotnet is not an AFL-instrumented binary (the instrumentation is in the .NET assembly), this
# machine's CPU governor and core_pattern are not ours to change, and the UI is no use in a log.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_AUTORESUME=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

stat_of() { awk -F' *: *' -v k="$2" '$1==k {print $2}' "$1"; }

results=()
for target in "${targets[@]}"; do
  corpus="$seeds/$target"
  if [[ ! -d "$corpus" ]] || [[ -z "$(ls -A "$corpus")" ]]; then
    echo "no seeds for $target in $corpus" >&2
    exit 1
  fi
  echo "== $target: ${seconds}s"
  # -V ends the run after the given time; -m none because the .NET runtime reserves far more
  # virtual memory than AFL's default limit; -t is per input, generous because the two cores
  # are shared and the first run of a path includes JIT compilation.
  setsid afl-fuzz -i "$corpus" -o "$out/$target" -t "$timeout_ms" -m none -V "$seconds" \
    -- dotnet "$bin/OpenChat.Fuzz.dll" run "$target" >"$out/$target.log" 2>&1 &
  afl_pid=$!
  # A margin for start-up and the final sync; past it the run is stopped rather than left.
  deadline=$((SECONDS + seconds + 120))
  while kill -0 "$afl_pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do
    sleep 1
  done
  if kill -0 "$afl_pid" 2>/dev/null; then
    echo "afl-fuzz for $target overran its time; stopping it" >&2
  fi
  stop_afl
  stats="$out/$target/default/fuzzer_stats"
  if [[ ! -f "$stats" ]]; then
    echo "afl-fuzz for $target wrote no fuzzer_stats; its log:" >&2
    tail -20 "$out/$target.log" >&2
    exit 1
  fi
  results+=("$target|$(stat_of "$stats" execs_done)|$(stat_of "$stats" run_time)|$(stat_of "$stats" execs_per_sec)|$(stat_of "$stats" corpus_count)|$(stat_of "$stats" edges_found)|$(stat_of "$stats" bitmap_cvg)|$(stat_of "$stats" saved_crashes)|$(stat_of "$stats" saved_hangs)")
done

echo
printf '%-22s %12s %6s %10s %7s %6s %7s %8s %6s\n' target execs_done secs execs/s corpus edges bitmap crashes hangs
total_execs=0; total_secs=0; total_crashes=0; total_hangs=0
for row in "${results[@]}"; do
  IFS='|' read -r name execs secs rate corpus edges cvg crashes hangs <<<"$row"
  printf '%-22s %12s %6s %10s %7s %6s %7s %8s %6s\n' "$name" "$execs" "$secs" "$rate" "$corpus" "$edges" "$cvg" "$crashes" "$hangs"
  total_execs=$((total_execs + execs)); total_secs=$((total_secs + secs))
  total_crashes=$((total_crashes + crashes)); total_hangs=$((total_hangs + hangs))
done
rate=0
[[ $total_secs -gt 0 ]] && rate=$((total_execs / total_secs))
printf '%-22s %12s %6s %10s %7s %6s %7s %8s %6s\n' TOTAL "$total_execs" "$total_secs" "$rate" "" "" "" "$total_crashes" "$total_hangs"
# The instrumented engine in $bin writes to AFL's shared memory and cannot run outside afl-fuzz,
# so findings are replayed with an ordinary build.
echo "findings under $out (crashes in <target>/default/crashes; replay with: dotnet run --project fuzz/OpenChat.Fuzz -c Release -- replay <target> <files>)"
[[ $total_crashes -eq 0 && $total_hangs -eq 0 ]]
