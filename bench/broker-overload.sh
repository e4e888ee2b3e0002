#!/usr/bin/env bash
# The broker beyond what the machine can carry: MQTT 3.1.1 publishers on node 1 of a local three-node
# cluster offer more QoS 1 messages than can be made safe (persistent subscribers on node 0, each message
# forwarded over the event bus and written to the session store before the PUBACK). The publishers' node
# must hold them back (TCP flow control once a publisher's inflight window is full) instead of buffering
# without bound. Samples that node's heap every second (its /metrics) while the load runs, then prints the
# load generator's line, the heap figures and how often publishers were held back.
#
#   bench/broker-overload.sh
#   RATE=30000 STEP_SEC=30 bench/broker-overload.sh
#
# Writes bench/results/<date>-broker-overload.md. Uses data/local and PostgreSQL on $CENTER_LOCAL_PG_PORT
# (default 15432); stops the cluster when done.
set -euo pipefail

cd "$(dirname "$0")/.."

RATE=${RATE:-20000}
STEP_SEC=${STEP_SEC:-20}
CLIENTS=${CLIENTS:-20}
OUT=${OUT:-bench/results/$(date +%F)-broker-overload.md}
. bench/broker-cluster-setup.sh broker-overload

trap 'kill "${SAMPLER:-}" 2>/dev/null || true; bin/local-cluster stop >/dev/null 2>&1 || true' EXIT
bin/local-cluster start 3
NODE1=$(cat data/local/node-1.pid)
paused() { curl -s localhost:8081/metrics | awk '/^center_mqtt_broker_publishers_paused_total/ {print int($2)}'; }

# an unmeasured warm-up at a load the machine carries
"${BENCH[@]}" load --port 1883 --pub-port 1884 --label warm-up --step-sec 2 --rates 5000 --clients "$CLIENTS" \
  --scenarios pairs --qos 1 --persistent-subscribers >/dev/null 2>&1
PAUSED_BEFORE=$(paused)

# heap used (all of it and the old generation, MB) once a second, from node 1's /metrics
sample_heap() { # runs in its own subshell: a sample that times out under load is skipped, not fatal
  set +e
  while true; do
    curl -s -m 2 localhost:8081/metrics | awk '/^jvm_memory_used_bytes\{area="heap"/ {
        total += $NF; if ($0 ~ /Old Gen/) old = $NF }
      END { if (total > 0) printf "%.0f\t%.0f\n", total / 1048576, old / 1048576 }'
    sleep 1
  done
}
sample_heap > "$RUN_DIR/heap.tsv" &
SAMPLER=$!
LINE=$("${BENCH[@]}" load --port 1883 --pub-port 1884 --label overload --step-sec "$STEP_SEC" --rates "$RATE" \
  --clients "$CLIENTS" --scenarios pairs --qos 1 --persistent-subscribers 2>/dev/null)
kill "$SAMPLER" 2>/dev/null || true
echo "$LINE"
PAUSED=$(( $(paused) - PAUSED_BEFORE ))
ALIVE=$(kill -0 "$NODE1" 2>/dev/null && curl -sf -o /dev/null localhost:8081/health/live && echo yes || echo no)
MAX_HEAP=$(sort -n -k1 "$RUN_DIR/heap.tsv" | tail -1 | cut -f1)
MAX_OLD=$(sort -n -k2 "$RUN_DIR/heap.tsv" | tail -1 | cut -f2)
echo "node 1: heap used at most ${MAX_HEAP} MB, old generation at most ${MAX_OLD} MB, publishers held back ${PAUSED} times, alive: ${ALIVE}"

{
  echo "# Broker under overload, $(date -u +'%F %H:%M') UTC"
  echo
  echo "Command: \`RATE=$RATE STEP_SEC=$STEP_SEC CLIENTS=$CLIENTS bench/broker-overload.sh\`"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "$(java -version 2>&1 | head -1). Three nodes of \`bin/local-cluster\` ($JAVA_OPTS each) and the load generator"
  echo "(one JVM, $CLIENTS pairs of HiveMQ MQTT 3.1.1 clients, 64-byte payloads, QoS 1) share the machine. Subscribers are"
  echo "persistent sessions on node 0, publishers are on node 1. The load generator publishes on a fixed schedule"
  echo "whatever the broker does, so what is not read yet waits in the publisher's client: the PUBACK time includes that wait."
  echo "\"Lost\" is what was sent in the window and not delivered within 5 s after it."
  echo
  echo "| offered/s | delivered/s | p50 ms | p99 ms | lost | PUBACK p50 ms | PUBACK p99 ms |"
  echo "|---|---|---|---|---|---|---|"
  echo "$LINE" | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s |\n", $4, $5, $6, $7, $8, $9, $10}'
  echo
  echo "Node 1 (the publishers' node), sampled every second: heap used at most ${MAX_HEAP} MB, old generation at most"
  echo "${MAX_OLD} MB; publishers held back ${PAUSED} times; node alive afterwards: ${ALIVE}."
  echo
  echo "Heap used, MB, one sample per second: $(cut -f1 "$RUN_DIR/heap.tsv" | paste -sd' ')"
} > "$OUT"
echo "wrote $OUT"
