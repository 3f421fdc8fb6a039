#!/usr/bin/env bash
# Per-thread CPU use of a running process over a time window, in cores (1.00 = one core busy).
# Used for docs/perf.md, "The main thread's priority": which threads of a bench command get the CPU.
set -euo pipefail
if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  cat <<'USAGE'
Usage: bash scripts/thread-usage.sh PATTERN [DELAY_S] [WINDOW_S]

Waits DELAY_S seconds (default 9), finds the newest process whose command line matches PATTERN
(pgrep -f), and prints each of its threads that used more than 0.02 of a core during the next
WINDOW_S seconds (default 4): thread id, name, cores. Start it in the background just before the
command it measures, e.g.
  bash scripts/thread-usage.sh bench-step.ts 9 4 & npm run bench:step -- --only default --learners 128 --mapping columns --steps 40 --queries 1
USAGE
  [[ $# -lt 1 ]] && exit 2 || exit 0
fi
pattern=$1 delay=${2:-9} window=${3:-4}
sleep "$delay"
pid=$(pgrep -n -f -- "$pattern") || { echo "no process matches '$pattern'" >&2; exit 1; }
ticks=$(getconf CLK_TCK)
snap() { for t in /proc/"$pid"/task/*; do echo "$(basename "$t") $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0)"; done; }
a=$(snap); t0=$(date +%s.%N)
sleep "$window"
b=$(snap); t1=$(date +%s.%N)
join <(sort <<<"$a") <(sort <<<"$b") | while read -r tid u0 u1; do
  cores=$(awk -v d=$((u1 - u0)) -v t="$ticks" -v w="$(awk -v x="$t0" -v y="$t1" 'BEGIN{print y-x}')" 'BEGIN{printf "%.2f", d / t / w}')
  if awk -v c="$cores" 'BEGIN{exit !(c > 0.02)}'; then
    echo "$tid $(cat /proc/"$pid"/task/"$tid"/comm 2>/dev/null || echo '?') $cores"
  fi
done
