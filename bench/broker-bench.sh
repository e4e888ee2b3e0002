#!/usr/bin/env bash
# MQTT broker benchmark on this machine: this project's broker beside Mosquitto and Moquette, the
# same load generator (bench/BrokerBench.java, HiveMQ MQTT 3.1.1 client) against each, one broker
# at a time; then the idle connections one node holds and its heap per connection.
#
#   bench/broker-bench.sh                          # defaults below
#   RATES=10000 STEP_SEC=3 bench/broker-bench.sh   # a quick run
#
# Writes bench/results/<date>-broker-bench.md.
set -euo pipefail

cd "$(dirname "$0")/.."

RATES=${RATES:-10000,30000,60000}        # offered deliveries per second, per step
STEP_SEC=${STEP_SEC:-5}
CLIENTS=${CLIENTS:-20}                   # publishers (fan-in), subscribers (fan-out), pairs
SCENARIOS=${SCENARIOS:-fan-in,fan-out,pairs}
QOS=${QOS:-0,1}
CONNECTIONS=${CONNECTIONS:-}             # idle connections to open; default: what the open-file limit allows
NODE_HEAP=${NODE_HEAP:-2g}
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:-}       # more JVM options for this project's node (e.g. a GC)
GENERATOR_JAVA_OPTS=${GENERATOR_JAVA_OPTS:-} # more JVM options for the load generator (e.g. -Xms1g -Xmn700m -XX:MetaspaceSize=256m)
BROKERS=${BROKERS:-ours,mosquitto,moquette}
REPEATS=${REPEATS:-1}                    # measured runs of every step per broker, to see the spread
WARMUP_SEC=${WARMUP_SEC:-20}             # unmeasured warm-up of every scenario and QoS, before each run
TICK_MS=${TICK_MS:-10}                   # publishers send what falls due every TICK_MS, as one burst
BROKER_CPUS=${BROKER_CPUS:-}             # e.g. 0: every broker runs on these CPUs only (taskset -c)
GENERATOR_CPUS=${GENERATOR_CPUS:-}       # e.g. 1: the load generator runs on these CPUs only
OURS_PORT=${OURS_PORT:-11883}
MOSQUITTO_PORT=${MOSQUITTO_PORT:-11884}
MOQUETTE_PORT=${MOQUETTE_PORT:-11885}
OUT=${OUT:-bench/results/$(date +%F)-broker-bench.md}

JAR=target/cluster-center.jar
if [[ ! -f "$JAR" || -n "$(find src pom.xml conf -newer "$JAR" -type f 2>/dev/null | head -1)" ]]; then
  echo "building $JAR"
  mvn -B -q package -DskipTests
fi
if ! command -v mosquitto >/dev/null 2>&1 && [[ ! -x /usr/sbin/mosquitto ]]; then
  echo "installing mosquitto"
  if [[ "$(id -u)" = 0 ]]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null; fi
fi
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

mkdir -p bench/results/tmp
RUN_DIR=$(mktemp -d bench/results/tmp/broker-bench.XXXXXX)
CP_FILE="$RUN_DIR/peers.classpath"
mvn -B -q -f bench/broker-peers/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$CP_FILE" >/dev/null
CP=$(cat "$CP_FILE")
# shellcheck disable=SC2206
BENCH=(java -Xmx1g $GENERATOR_JAVA_OPTS -cp "$CP" bench/BrokerBench.java)
# with BROKER_CPUS and GENERATOR_CPUS, broker and load generator stop taking CPU time from each other
# (a JVM pinned to one CPU sizes itself for one: one MQTT event loop, the serial collector)
ON_BROKER_CPUS=(); [[ -n "$BROKER_CPUS" ]] && ON_BROKER_CPUS=(taskset -c "$BROKER_CPUS")
ON_GENERATOR_CPUS=(); [[ -n "$GENERATOR_CPUS" ]] && ON_GENERATOR_CPUS=(taskset -c "$GENERATOR_CPUS")
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$RUN_DIR/data"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 90); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "nothing listens on port $1" >&2
  exit 1
}

start_ours() {
  # shellcheck disable=SC2086
  "${ON_BROKER_CPUS[@]}" java -Xmx"$NODE_HEAP" $NODE_JAVA_OPTS -jar "$JAR" --set node.dataDir="$PWD/$RUN_DIR/data" --set http.port=18090 \
    --set mqtt.port="$OURS_PORT" --set grpc.port=19091 --set mqtt.allowAnonymous=true \
    --set mqtt.maxConnections=1000000 >> "$RUN_DIR/node.log" 2>&1 &
  OURS_PID=$!
  PIDS+=("$OURS_PID")
  wait_port "$OURS_PORT"
}

# The node's heap in use, KiB: survivor, eden and old spaces from jstat, which names them alike for
# every collector (GC.heap_info's first figure is the whole heap under G1 but only the young
# generation under the serial collector, which a JVM pinned to one CPU picks).
heap_used_kib() {
  jstat -gc "$1" | awk 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i}
    NR == 2 {printf "%d\n", $col["S0U"] + $col["S1U"] + $col["EU"] + $col["OU"]}'
}

stop_pid() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$1" 2>/dev/null || break; sleep 1; done
  kill -9 "$1" 2>/dev/null || true
}

RESULTS="$RUN_DIR/results.tsv"
: > "$RESULTS"
run_load() { # port label pid
  # the same unmeasured warm-up for every broker, in the measuring process: a JVM broker compiles
  # its hot paths first, and so does the generator's MQTT client
  "${ON_GENERATOR_CPUS[@]}" "${BENCH[@]}" load --port "$1" --label "$2" --step-sec "$STEP_SEC" --rates "$RATES" --clients "$CLIENTS" \
    --scenarios "$SCENARIOS" --qos "$QOS" --broker-pid "$3" --warmup-sec "$WARMUP_SEC" --tick-ms "$TICK_MS" 2>/dev/null | tee -a "$RESULTS"
}

wanted() { [[ ",$BROKERS," == *",$1,"* ]]; }

# Every repeat starts each broker afresh, one after the other, so a drift of the machine over the
# run (other load, its clock) falls on every broker alike instead of on whichever ran last.
for REPEAT in $(seq 1 "$REPEATS"); do
if wanted ours; then
echo "== this project's broker (port $OURS_PORT), run $REPEAT of $REPEATS"
start_ours
run_load "$OURS_PORT" falconmind "$OURS_PID"
stop_pid "$OURS_PID"
rm -rf "$RUN_DIR/data"
fi

if wanted mosquitto; then
echo "== mosquitto $("$MOSQUITTO" -h 2>/dev/null | head -1 | awk '{print $3}') (port $MOSQUITTO_PORT), run $REPEAT of $REPEATS"
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages 1000000\nmax_inflight_messages 0\n' \
  "$MOSQUITTO_PORT" > "$RUN_DIR/mosquitto.conf"
"${ON_BROKER_CPUS[@]}" "$MOSQUITTO" -c "$RUN_DIR/mosquitto.conf" > "$RUN_DIR/mosquitto.log" 2>&1 &
MOSQ_PID=$!
PIDS+=("$MOSQ_PID")
wait_port "$MOSQUITTO_PORT"
run_load "$MOSQUITTO_PORT" mosquitto "$MOSQ_PID"
stop_pid "$MOSQ_PID"
fi

if wanted moquette; then
echo "== moquette 0.17 (port $MOQUETTE_PORT), run $REPEAT of $REPEATS"
"${ON_BROKER_CPUS[@]}" "${BENCH[@]}" moquette --port "$MOQUETTE_PORT" > "$RUN_DIR/moquette.log" 2>&1 &
MOQ_PID=$!
PIDS+=("$MOQ_PID")
wait_port "$MOQUETTE_PORT"
run_load "$MOQUETTE_PORT" moquette "$MOQ_PID"
stop_pid "$MOQ_PID"
fi
done

echo "== idle connections held by one node"
LIMIT=$(ulimit -n)
COUNT=${CONNECTIONS:-$(( LIMIT < 100500 ? LIMIT - 500 : 100000 ))}
start_ours
jcmd "$OURS_PID" GC.run >/dev/null
HEAP_BEFORE=$(heap_used_kib "$OURS_PID")
FIFO="$RUN_DIR/hold"
mkfifo "$FIFO"
"${BENCH[@]}" connections --port "$OURS_PORT" --count "$COUNT" --sources 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4 \
  < "$FIFO" > "$RUN_DIR/connections.log" 2>&1 &
CONN_PID=$!
PIDS+=("$CONN_PID")
exec 7>"$FIFO"
for _ in $(seq 1 600); do grep -q READY "$RUN_DIR/connections.log" && break; sleep 1; done
HELD_LINE=$(grep "^held" "$RUN_DIR/connections.log" || echo "held 0")
HELD=$(echo "$HELD_LINE" | awk '{print $2}')
jcmd "$OURS_PID" GC.run >/dev/null
HEAP_AFTER=$(heap_used_kib "$OURS_PID")
echo x >&7
exec 7>&-
PER_CONN=$(( HELD > 0 ? (HEAP_AFTER - HEAP_BEFORE) * 1024 / HELD : 0 ))
echo "$HELD_LINE; heap after GC ${HEAP_BEFORE} KiB -> ${HEAP_AFTER} KiB: ${PER_CONN} bytes per connection (open-file limit $LIMIT)"

{
  echo "# Broker benchmark, $(date -u +'%F %H:%M') UTC"
  echo
  echo "Command: \`RATES=$RATES STEP_SEC=$STEP_SEC CLIENTS=$CLIENTS SCENARIOS=$SCENARIOS QOS=$QOS BROKERS=$BROKERS REPEATS=$REPEATS WARMUP_SEC=$WARMUP_SEC TICK_MS=$TICK_MS${BROKER_CPUS:+ BROKER_CPUS=$BROKER_CPUS}${GENERATOR_CPUS:+ GENERATOR_CPUS=$GENERATOR_CPUS}${NODE_JAVA_OPTS:+ NODE_JAVA_OPTS='$NODE_JAVA_OPTS'}${GENERATOR_JAVA_OPTS:+ GENERATOR_JAVA_OPTS='$GENERATOR_JAVA_OPTS'}${CONNECTIONS:+ CONNECTIONS=$CONNECTIONS} bench/broker-bench.sh\`"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "$(java -version 2>&1 | head -1); mosquitto $("$MOSQUITTO" -h 2>/dev/null | head -1 | awk '{print $3}'), moquette 0.17."
  echo "Every broker ran alone with the load generator on the same machine (one JVM, HiveMQ MQTT 3.1.1 client, 64-byte"
  echo "payloads carrying their send time, sent in a burst every $TICK_MS ms; latency is publish to delivery). \"Offered\" counts deliveries per second: in"
  echo "fan-out the one publisher sends offered / $CLIENTS. \"Delivered/s\" counts what arrived within the window. \"Lost\" is what was sent in the window and had not arrived once 5 s passed without any arriving (late is not lost)."
  echo "Before its measured steps, every broker gets the same unmeasured warm-up (each scenario and QoS at 10,000/s, in two rounds of half of $WARMUP_SEC s, connecting and disconnecting in each, so that a JIT compiler has seen connections come and go before the window), from the load generator process that then measures. The generator collects its own heap before every step."
  if [[ -n "$BROKER_CPUS$GENERATOR_CPUS" ]]; then
    echo "Each broker ran on CPU ${BROKER_CPUS:-any} only and the load generator on CPU ${GENERATOR_CPUS:-any} only (\`taskset -c\`), so that neither took CPU time from the other; a JVM pinned to one CPU sizes itself for one (this project's node: one MQTT event loop and the serial collector)."
  fi
  echo
  echo "\"CPU µs/msg\" is the broker process's CPU time (user + system, from /proc) in the measured window per delivery."
  if (( REPEATS > 1 )); then
    echo "Runs were interleaved: each of the $REPEATS rounds started every broker afresh, one after the other."
    echo
    echo "Median over the $REPEATS runs of each step (the runs themselves follow):"
    echo
    echo "| scenario | QoS | offered/s | broker | delivered/s | p50 ms | p99 ms | CPU µs/msg | p99 ms of the runs |"
    echo "|---|---|---|---|---|---|---|---|---|"
    awk -F'\t' '
      function median(key, col,    n, i, j, t, a) {
        n = count[key]
        # a step that delivered nothing in its window has no latency (NaN): it counts as the slowest
        for (i = 1; i <= n; i++) a[i] = (val[key, i, col] == "NaN") ? 1e300 : val[key, i, col] + 0
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      function ms(v) { return (v >= 1e300) ? "none" : sprintf("%.2f", v) }
      function cpu(v) { return (v >= 1e300) ? "none" : sprintf("%.1f", v) }
      {
        key = $2 "\t" $3 "\t" $4 "\t" $1
        n = ++count[key]
        val[key, n, 5] = $5; val[key, n, 6] = $6; val[key, n, 7] = $7; val[key, n, 11] = $11
        runs[key] = runs[key] (n > 1 ? ", " : "") $7
      }
      END {
        for (key in count) {
          split(key, k, "\t")
          printf "%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\n", k[1], k[2], k[3], k[4], median(key, 5), ms(median(key, 6)),
            ms(median(key, 7)), cpu(median(key, 11)), runs[key]
        }
      }' "$RESULTS" | sort -t$'\t' -k1,1 -k2,2 -k3,3n -k4,4 \
      | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
    echo
    echo "Every run:"
  fi
  echo
  echo "| scenario | QoS | offered/s | broker | delivered/s | p50 ms | p99 ms | lost | CPU µs/msg |"
  echo "|---|---|---|---|---|---|---|---|---|"
  sort -t$'\t' -k2,2 -k3,3 -k4,4n -k1,1 -s "$RESULTS" \
    | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $1, $5, $6, $7, $8, $11}'
  echo
  echo "Idle connections (one node, anonymous MQTT 3.1.1 CONNECT, clean session, keep-alive 0): **$HELD held**;"
  echo "node heap after GC ${HEAP_BEFORE} KiB before, ${HEAP_AFTER} KiB after: **about ${PER_CONN} bytes per connection**."
  echo "The open-file limit of a process here is $LIMIT (\`ulimit -n\`; the container refuses a higher one), which bounds"
  echo "the connections one process can hold."
} > "$OUT"
echo "wrote $OUT"
