#!/usr/bin/env bash
# Heap this project's broker allocates per delivery: a node with a GC log, the broker benchmark's
# load generator against it at one rate, and the bytes the node allocated between its young
# collections during the load, per delivery. Fewer bytes per delivery mean fewer young pauses.
#
#   bench/broker-garbage.sh                                  # fan-in and pairs, QoS 0, 10,000/s
#   SCENARIOS=fan-out QOS=1 bench/broker-garbage.sh
#
# Prints one line per scenario and QoS; writes nothing else (the node's data goes to a temporary
# directory under bench/results/tmp, removed afterwards).
set -euo pipefail

cd "$(dirname "$0")/.."

RATE=${RATE:-10000}              # offered deliveries per second
SCENARIOS=${SCENARIOS:-fan-in,pairs}
QOS=${QOS:-0}
MEASURE_SEC=${MEASURE_SEC:-45}   # long enough for several young collections
WARMUP_SEC=${WARMUP_SEC:-15}
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:-}
PORT=${PORT:-11883}

JAR=target/cluster-center.jar
if [[ ! -f "$JAR" || -n "$(find src pom.xml conf -newer "$JAR" -type f 2>/dev/null | head -1)" ]]; then
  mvn -B -q package -DskipTests
fi
mkdir -p bench/results/tmp
RUN_DIR=$(mktemp -d bench/results/tmp/broker-garbage.XXXXXX)
mvn -B -q -f bench/broker-peers/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$RUN_DIR/cp" >/dev/null
GC_LOG="$RUN_DIR/gc.log"

# shellcheck disable=SC2086
java -Xmx2g $NODE_JAVA_OPTS -Xlog:gc:file="$GC_LOG" -jar "$JAR" --set node.dataDir="$PWD/$RUN_DIR/data" \
  --set http.port=18090 --set grpc.port=19091 --set mqtt.port="$PORT" --set mqtt.allowAnonymous=true > "$RUN_DIR/node.log" 2>&1 &
NODE=$!
trap 'kill $NODE 2>/dev/null; wait $NODE 2>/dev/null || true; rm -rf "$RUN_DIR"' EXIT
for _ in $(seq 1 90); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 1; done

load() { # scenario qos seconds
  java -Xmx1g -Xms1g -Xmn700m -cp "$(cat "$RUN_DIR/cp")" bench/BrokerBench.java load --port "$PORT" --label ours \
    --step-sec "$3" --rates "$RATE" --scenarios "$1" --qos "$2" --broker-pid "$NODE" --warmup-sec 0 2>/dev/null
}

for scenario in ${SCENARIOS//,/ }; do
  for qos in ${QOS//,/ }; do
    load "$scenario" "$qos" "$WARMUP_SEC" > /dev/null
    seen=$(grep -c 'Pause Young' "$GC_LOG" || true)
    load "$scenario" "$qos" "$MEASURE_SEC" > /dev/null
    # "[12.3s] ... Pause Young ... 138M->15M(211M) 4.9ms": what was allocated between two young
    # collections is the heap before the second less the heap after the first
    grep 'Pause Young' "$GC_LOG" | tail -n +$((seen + 1)) | awk -v label="$scenario QoS $qos" -v rate="$RATE" '
      match($0, /\[[0-9.]+s\]/) { t = substr($0, RSTART + 1, RLENGTH - 3) + 0 }
      match($0, /[0-9]+M->[0-9]+M/) { split(substr($0, RSTART, RLENGTH), mb, /M->|M/)
        if (n > 0) allocated += mb[1] - after
        if (n == 0) first = t
        after = mb[2]; last = t; n++ }
      END {
        if (n < 2) { print label ": fewer than two young collections; raise MEASURE_SEC"; exit }
        rate_mb = allocated / (last - first)
        printf "%s at %d/s: %.2f MB/s allocated, %.0f bytes per delivery (%d young collections)\n",
          label, rate, rate_mb, rate_mb * 1048576 / rate, n }'
  done
done
