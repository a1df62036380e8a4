#!/usr/bin/env bash
# Coverage-guided fuzzing of every C parser of external bytes with libFuzzer (`make fuzz`).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
#
# Every target is in native/fuzz/ (fuzz_*.c: the ingest parsers, fuzz_traj_*.c: the trajectory
# parsers), built by the one CMake option AIS_FUZZ. `make test` already runs each target briefly
# through the gcc driver (native/fuzz/fuzz_driver.c); this is the longer run. It installs clang and its fuzzer runtime
# (scripts/setup.sh fuzz), builds build/fuzz with -DAIS_FUZZ=ON (ASan + UBSan + libFuzzer), and
# runs each target on a working copy of its seed corpus under var/fuzz/ (the seeds in the
# repository stay as they are). A crash leaves its input under var/fuzz/crashes/<target>/ and
# makes the run fail. One JSON line per target on stdout, then a summary line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
shift || true
BUILD="$ROOT/build/fuzz"
WORK="$ROOT/var/fuzz"

"$ROOT/scripts/setup.sh" fuzz
CC=clang cmake -S "$ROOT/native" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAIS_FUZZ=ON >/dev/null
cmake --build "$BUILD" -j"${JOBS:-2}" >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }

# target -> seed files or folders (the trajectory parsers' seeds are their test fixtures)
declare -A SEEDS=(
  [fuzz_airnow_csv]="native/fuzz/corpus/airnow_csv"
  [fuzz_weather_history]="native/fuzz/corpus/weather_history"
  [fuzz_openaq_hours]="native/fuzz/corpus/openaq_hours"
  [fuzz_s5p_netcdf]="native/fuzz/corpus/s5p_netcdf"
  [fuzz_era5_file]="native/fuzz/corpus/era5_file"
  [fuzz_maiac_hdf4]="native/fuzz/corpus/maiac_hdf4"
  [fuzz_traj_tdump]="native/tests/traj/data/tdump_two_traj.txt native/tests/traj/data/tdump_one_traj_no_pressure.txt"
  [fuzz_traj_era5]="native/tests/traj/data/era5_one_message.grib"
  [fuzz_traj_arl]=""   # seeded below with a simulated ARL hour
)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_airnow_csv fuzz_weather_history fuzz_openaq_hours fuzz_s5p_netcdf
                                     fuzz_era5_file fuzz_maiac_hdf4 fuzz_traj_tdump fuzz_traj_era5 fuzz_traj_arl)

# library-held memory (ecCodes, HDF4/HDF5) is not a finding of ours; a corrupt header can make a library
# ask for an absurd allocation (ecCodes sizes buffers from the message): malloc then returns NULL, which
# the libraries handle as an error, instead of ASan stopping the run
export LSAN_OPTIONS="suppressions=$ROOT/native/tests/traj/lsan_eccodes.supp"
export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
failed=0
for t in "${TARGETS[@]}"; do
  [ -n "${SEEDS[$t]+set}" ] || { echo "fuzz: unknown target $t" >&2; exit 2; }
  bin="$(find "$BUILD" -type f -name "$t" -perm -u+x | head -n1)"
  [ -n "$bin" ] || { echo "fuzz: $t was not built (see $BUILD/build.log)" >&2; exit 1; }
  corpus="$WORK/corpus/$t"
  crashes="$WORK/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  if [ "$t" = fuzz_traj_arl ] && [ ! -e "$corpus/simulated_one_hour.arl" ]; then
    # the ARL reader's seed: one simulated hour over era5.region, as ctest's fuzz_traj_arl_smoke
    "$(find "$BUILD" -type f -name ais-traj -perm -u+x | head -n1)" simulate-met \
      --start 2026-01-01T00:00:00Z --end 2026-01-01T01:00:00Z \
      --out "$corpus/simulated_one_hour.arl" --config "$ROOT/config/hanoi_pipeline.yaml" >/dev/null 2>&1 || true
  fi
  for s in ${SEEDS[$t]}; do
    if [ -d "$ROOT/$s" ]; then cp -n "$ROOT/$s"/* "$corpus"/ 2>/dev/null || true; else cp -n "$ROOT/$s" "$corpus"/; fi
  done
  log="$WORK/$t.log"
  start=$(date +%s)
  if "$bin" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -artifact_prefix="$crashes/" \
       -print_final_stats=1 >"$log" 2>&1; then status=ok; else status=crash; failed=1; fi
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
  printf '{"target":"%s","status":"%s","seconds":%d,"executions":%s,"corpus_files":%d,"log":"%s"}\n' \
    "$t" "$status" "$(( $(date +%s) - start ))" "${runs:-0}" "$(ls "$corpus" | wc -l)" "$log"
done
printf '{"fuzz":"%s","targets":%d,"seconds_per_target":%s}\n' \
  "$([ $failed = 0 ] && echo ok || echo crash)" "${#TARGETS[@]}" "$SECONDS_PER_TARGET"
exit $failed
