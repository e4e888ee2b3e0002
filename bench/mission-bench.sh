#!/usr/bin/env bash
# Mission throughput benchmark of one fresh node on this machine.
#
#   bench/mission-bench.sh                  # defaults: 200 devices, 500,1000,2000,3000 missions/s, 20 s each
#   RATES=200,400 STEP_SEC=10 bench/mission-bench.sh
#
# Starts `java -jar target/cluster-center.jar` on fixed localhost ports with a temporary data
# directory and a known admin token, runs bench/MissionBench.java against it (which runs the
# simulated fleet in-process), writes bench/results/<date>-mission-bench.md and stops the node.
set -euo pipefail

cd "$(dirname "$0")/.."

DEVICES=${DEVICES:-200}
CAPACITY=${CAPACITY:-1}
RATES=${RATES:-500,1000,2000,3000}
STEP_SEC=${STEP_SEC:-20}
BATCH=${BATCH:-10}
CONNECTIONS=${CONNECTIONS:-8}
HTTP_PORT=${HTTP_PORT:-18080}
MQTT_PORT=${MQTT_PORT:-11883}
GRPC_PORT=${GRPC_PORT:-19090}
NODE_HEAP=${NODE_HEAP:-2g}
# Extra JVM options of the node, e.g. NODE_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/node.jfr" for a profile.
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:-}
BENCH_HEAP=${BENCH_HEAP:-1g}
OUT=${OUT:-bench/results/$(date +%F)-mission-bench.md}

JAR=target/cluster-center.jar
if [[ ! -f "$JAR" || -n "$(find src pom.xml conf -newer "$JAR" -type f 2>/dev/null | head -1)" ]]; then
  echo "building $JAR"
  mvn -B -q package -DskipTests
fi

for port in "$HTTP_PORT" "$MQTT_PORT" "$GRPC_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use on 127.0.0.1; set HTTP_PORT/MQTT_PORT/GRPC_PORT" >&2
    exit 1
  fi
done

mkdir -p bench/results/tmp
RUN_DIR=$(mktemp -d bench/results/tmp/mission-bench.XXXXXX)
DATA_DIR="$PWD/$RUN_DIR/data"
NODE_LOG="$RUN_DIR/node.log"
TOKEN="bench-$(date +%s)-$RANDOM"
NODE_PID=""

stop_node() {
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 1; done
    kill -9 "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR"
}
trap stop_node EXIT

echo "starting a node (log: $NODE_LOG)"
env -u CENTER_POSTGRES_URL \
  CENTER_NODE_DATA_DIR="$DATA_DIR" \
  CENTER_HTTP_HOST=127.0.0.1 CENTER_HTTP_PORT="$HTTP_PORT" \
  CENTER_MQTT_HOST=127.0.0.1 CENTER_MQTT_PORT="$MQTT_PORT" \
  CENTER_GRPC_PORT="$GRPC_PORT" \
  CENTER_AUTH_ADMIN_TOKEN="$TOKEN" \
  java "-Xmx$NODE_HEAP" $NODE_JAVA_OPTS -jar "$JAR" >"$NODE_LOG" 2>&1 &
NODE_PID=$!

BUILD="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src pom.xml conf 2>/dev/null || echo '+local changes')"
COMMAND="DEVICES=$DEVICES CAPACITY=$CAPACITY RATES=$RATES STEP_SEC=$STEP_SEC BATCH=$BATCH CONNECTIONS=$CONNECTIONS NODE_HEAP=$NODE_HEAP bench/mission-bench.sh"

status=0
java "-Xmx$BENCH_HEAP" -Dlogback.configurationFile=bench/logback-bench.xml -cp "$JAR" bench/MissionBench.java \
  --api "http://127.0.0.1:$HTTP_PORT" --mqtt "127.0.0.1:$MQTT_PORT" --token "$TOKEN" \
  --devices "$DEVICES" --capacity "$CAPACITY" --rates "$RATES" --step-sec "$STEP_SEC" \
  --batch "$BATCH" --connections "$CONNECTIONS" --node-pid "$NODE_PID" --node-data-dir "$DATA_DIR" \
  --out "$OUT" --command "$COMMAND" --build "$BUILD" || status=$?

if ! kill -0 "$NODE_PID" 2>/dev/null; then
  echo "the node exited during the run; see $NODE_LOG" >&2
  status=1
fi
exit $status
