#!/usr/bin/env bash
# Shared by bench/chaos.sh and bench/failover-bench.sh: builds what is missing (the node jar, the
# test classes that drive the cluster) and runs one main class of the cluster test package with the
# test classpath. Not meant to be called directly.
set -euo pipefail

cd "$(dirname "$0")/.."
MAIN=$1
shift

JAR=target/cluster-center.jar
if [[ ! -f "$JAR" || -n "$(find src/main pom.xml conf -newer "$JAR" -type f 2>/dev/null | head -1)" ]]; then
  echo "building $JAR"
  mvn -B -q package -DskipTests
fi
STAMP=target/test-classes/.cluster-run-stamp
if [[ ! -f "$STAMP" || -n "$(find src/test pom.xml -newer "$STAMP" -type f 2>/dev/null | head -1)" ]]; then
  echo "compiling the test classes"
  mvn -B -q test-compile
  touch "$STAMP"
fi
CP_FILE=target/test-classpath.txt
if [[ ! -f "$CP_FILE" || pom.xml -nt "$CP_FILE" ]]; then
  mvn -B -q dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test
fi

# The driver runs the probe devices, the load and the feeds; the nodes are separate JVMs.
exec java -Xmx1g -XX:+UseSerialGC -Dlogback.configurationFile=bench/logback-bench.xml \
  -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" "io.falconmind.center.it.cluster.$MAIN" "$@"
