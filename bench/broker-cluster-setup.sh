# Sourced by the scripts that run the broker load generator against a local cluster
# (broker-cluster-bench.sh, broker-overload.sh) with $1 the run's name: sets the nodes' environment
# (anonymous broker clients, no connection limit, JAVA_OPTS default -Xmx1g, PostgreSQL on
# $CENTER_LOCAL_PG_PORT, default 15432), builds the jar when the sources are newer, and sets
# RUN_DIR (a fresh directory under bench/results/tmp) and BENCH (the load generator's command).
export CENTER_LOCAL_PG_PORT=${CENTER_LOCAL_PG_PORT:-15432}
export CENTER_MQTT_ALLOW_ANONYMOUS=true
export CENTER_MQTT_MAX_CONNECTIONS=1000000
export JAVA_OPTS=${JAVA_OPTS:--Xmx1g}

JAR=target/cluster-center.jar
if [[ ! -f "$JAR" || -n "$(find src pom.xml conf -newer "$JAR" -type f 2>/dev/null | head -1)" ]]; then
  echo "building $JAR"
  mvn -B -q package -DskipTests
fi
mkdir -p bench/results/tmp
RUN_DIR=$(mktemp -d "bench/results/tmp/$1.XXXXXX")
mvn -B -q -f bench/broker-peers/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$RUN_DIR/peers.classpath" >/dev/null
BENCH=(java -Xmx1g -cp "$(cat "$RUN_DIR/peers.classpath")" bench/BrokerBench.java)
