#!/usr/bin/env bash
# Cluster benchmarks on this machine (every node its own JVM from target/cluster-center.jar, one
# shared PostgreSQL run by the benchmark JVM):
#   1. failover: 3 voters + 1 learner under light load; kill -9 of the leader, 10 times by default;
#      time from the kill to the new leader's cluster.leader event and to the first committed submit;
#   2. throughput: a standalone node, then a 3-node cluster, open-loop submits in rate steps;
#   3. event-bus bytes per mission in the 3-node cluster.
# Prints the figures and the machine, and writes bench/results/<date>-cluster-bench.md.
#
#   bench/failover-bench.sh
#   bench/failover-bench.sh --iterations 3 --rates 200,400 --step-sec 10     # a quick look
#   bench/failover-bench.sh --no-throughput                                  # failover only
#   bench/failover-bench.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA=()
if [[ " $* " != *" --out "* ]]; then EXTRA+=(--out "bench/results/$(date +%F)-cluster-bench.md"); fi
EXTRA+=(--command "bench/failover-bench.sh $*")
exec bench/cluster-run.sh ClusterBench "${EXTRA[@]}" "$@"
