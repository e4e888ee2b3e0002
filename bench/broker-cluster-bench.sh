#!/usr/bin/env bash
# The broker across a local cluster of three nodes (bin/local-cluster): the same load generator as
# broker-bench.sh (bench/BrokerBench.java), with subscribers on node 0 and publishers either on node 0
# too ("one node") or on node 1 ("across nodes", every message forwarded over the event bus), and
# at QoS 1 also with persistent subscribers (every message written to the session store before the
# publisher's PUBACK). Prints delivery latency and the time to PUBACK.
#
#   bench/broker-cluster-bench.sh
#   RATES=5000 STEP_SEC=3 bench/broker-cluster-bench.sh   # a quick run
#
# Writes bench/results/<date>-broker-cluster-bench.md. Uses data/local and PostgreSQL on $CENTER_LOCAL_PG_PORT
# (default 15432); stops the cluster when done.
set -euo pipefail

cd "$(dirname "$0")/.."

RATES=${RATES:-5000,20000}
STEP_SEC=${STEP_SEC:-5}
CLIENTS=${CLIENTS:-20}
SCENARIOS=${SCENARIOS:-pairs,fan-out}
OUT=${OUT:-bench/results/$(date +%F)-broker-cluster-bench.md}
. bench/broker-cluster-setup.sh broker-cluster-bench

trap 'bin/local-cluster stop >/dev/null 2>&1 || true' EXIT
bin/local-cluster start 3

RESULTS="$RUN_DIR/results.tsv"
: > "$RESULTS"
load() { # label, publishers' port, QoS list, extra options
  "${BENCH[@]}" load --port 1883 --pub-port "$2" --label "$1" --step-sec "$STEP_SEC" --rates "$RATES" \
    --clients "$CLIENTS" --scenarios "$SCENARIOS" --qos "$3" ${4:-} 2>/dev/null | tee -a "$RESULTS"
}
# an unmeasured warm-up, then the measured runs
"${BENCH[@]}" load --port 1883 --pub-port 1884 --label warm-up --step-sec 2 --rates 5000 --clients "$CLIENTS" \
  --scenarios "$SCENARIOS" --qos 0,1 >/dev/null 2>&1
load "one node" 1883 0,1
load "across nodes" 1884 0,1
load "across nodes, persistent subscribers" 1884 1 --persistent-subscribers

{
  echo "# Broker across a cluster, $(date -u +'%F %H:%M') UTC"
  echo
  echo "Command: \`RATES=$RATES STEP_SEC=$STEP_SEC CLIENTS=$CLIENTS SCENARIOS=$SCENARIOS bench/broker-cluster-bench.sh\`"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "$(java -version 2>&1 | head -1). Three nodes of \`bin/local-cluster\` ($JAVA_OPTS each) and the load generator"
  echo "(one JVM, HiveMQ MQTT 3.1.1 clients, 64-byte payloads) share the machine. Subscribers are on node 0; publishers on"
  echo "node 0 (\"one node\") or node 1 (\"across nodes\"). \"Lost\" is what was sent in the window and not delivered within 5 s."
  echo "\"PUBACK\" is the time from publish to the publisher's acknowledgement: in a cluster it waits until the message is"
  echo "safe on every node it goes to (and, for persistent subscribers, in the session store)."
  echo
  echo "| run | scenario | QoS | offered/s | delivered/s | p50 ms | p99 ms | lost | PUBACK p50 ms | PUBACK p99 ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}' "$RESULTS"
} > "$OUT"
echo "wrote $OUT"
