#!/usr/bin/env bash
# Runs tapegrad_fault_rank on 2 ranks in one mode and checks how the job ends: with a fault,
# a nonzero status that is not timeout's 124 (no hang), within a time bound, and the expected
# message in the output; with none (--none), status 0 and no complaint from mpirun.
# Usage: fault_check.sh MODE MPIEXEC [MPIEXEC_FLAGS...] PROGRAM
set -uo pipefail
mode="$1"
shift
# What the output must hold: mpirun's report of the dead rank, the uncaught exception's message,
# rank 0's DistributedError.
case "$mode" in
  --kill) expect=('process rank 1' 'exited on signal 9') ;;
  --throw) expect=('fault_rank: rank 1 throws at step 5' 'process rank 1' 'exited on signal 6') ;;
  # 2 s, as fault_rank asks, unless TAPEGRAD_DIST_TIMEOUT_MS replaces it.
  # (mpirun's own "MPI_ABORT was invoked" notice is not required: the aborting rank can be gone
  # before mpirun formats it, as happens under the sanitizers.)
  --stall) expect=("did not complete within ${TAPEGRAD_DIST_TIMEOUT_MS:-2000} ms on rank 0 of 2") ;;
  --none) expect=('fault_rank: done') ;;
  *) echo "usage: fault_check.sh --kill|--throw|--stall|--none MPIEXEC [FLAGS...] PROGRAM" >&2; exit 2 ;;
esac
bound=30  # seconds; the faults end the job in a few
start="$(date +%s)"
output="$(timeout 60 "$@" "$mode" 2>&1)"
status=$?
elapsed=$(($(date +%s) - start))
echo "$output"
echo "fault_check $mode: status $status after ${elapsed} s"
failed=0
if [[ "$mode" == --none ]]; then
  ((status == 0)) || { echo "fault_check: expected status 0" >&2; failed=1; }
  if grep -qi 'finalize' <<< "$output"; then echo "fault_check: mpirun complains about finalization" >&2; failed=1; fi
else
  ((status != 0)) || { echo "fault_check: expected a nonzero status" >&2; failed=1; }
  ((status != 124)) || { echo "fault_check: the job hung (killed by timeout after 60 s)" >&2; failed=1; }
fi
((elapsed < bound)) || { echo "fault_check: took ${elapsed} s, more than ${bound} s" >&2; failed=1; }
for text in "${expect[@]}"; do
  grep -qF -- "$text" <<< "$output" || { echo "fault_check: the output lacks '$text'" >&2; failed=1; }
done
exit "$failed"
