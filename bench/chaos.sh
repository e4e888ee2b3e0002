#!/usr/bin/env bash
# Randomized cluster fault run: a 5-node cluster (3 voters, 1 learner, 1 gateway; one JVM each, one
# shared PostgreSQL) under steady mission load takes random faults — kill -9 of any role,
# SIGSTOP/SIGCONT of the leader or any node, every node killed at once — for the given minutes,
# then checks that every acknowledged mission ended exactly once, that no mission was held by two
# devices at once and that every node's feed is gapless, and prints a summary. Exit code 1 when an
# invariant broke or the cluster did not recover.
#
#   bench/chaos.sh                        # 5 minutes, 5 nodes
#   bench/chaos.sh --minutes 2 --nodes 4 --seed 42
#   bench/chaos.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_ARGS=()
if [[ " $* " != *" --out "* ]]; then OUT_ARGS=(--out "bench/results/$(date +%F)-cluster-chaos.md"); fi
exec bench/cluster-run.sh ChaosRun "${OUT_ARGS[@]}" "$@"
