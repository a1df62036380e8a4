#!/bin/bash
# Entry point of ais-spark-runtime: the container contract of Spark on Kubernetes, for a Spark whose
# SPARK_HOME is the pinned PySpark wheel.
#
#   driver   ARGS...  Spark starts the driver pod with "driver --properties-file F --class C APP ARGS":
#                     run spark-submit in client mode inside the pod, bound to the pod's address.
#   executor          Spark starts executor pods with "executor" and describes the executor in the
#                     environment (SPARK_DRIVER_URL, SPARK_EXECUTOR_ID, SPARK_EXECUTOR_CORES,
#                     SPARK_EXECUTOR_MEMORY, SPARK_APPLICATION_ID, SPARK_EXECUTOR_POD_IP,
#                     SPARK_RESOURCE_PROFILE_ID, SPARK_EXECUTOR_POD_NAME, SPARK_JAVA_OPT_<n>,
#                     SPARK_CLASSPATH): run the executor backend JVM with them.
#   anything else     run it as given (submit_spark_k8s.sh, ais, spark-submit --version, ...).
set -euo pipefail
: "${SPARK_HOME:?SPARK_HOME must be set in the image}"

java_bin() {
  if [ -n "${JAVA_HOME:-}" ]; then printf '%s\n' "$JAVA_HOME/bin/java"; else printf 'java\n'; fi
}

case "${1:-}" in
  driver)
    shift
    : "${SPARK_DRIVER_BIND_ADDRESS:?Spark sets SPARK_DRIVER_BIND_ADDRESS on the driver pod}"
    exec "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    for name in SPARK_DRIVER_URL SPARK_EXECUTOR_ID SPARK_EXECUTOR_CORES SPARK_EXECUTOR_MEMORY \
                SPARK_APPLICATION_ID SPARK_EXECUTOR_POD_IP SPARK_RESOURCE_PROFILE_ID SPARK_EXECUTOR_POD_NAME; do
      if [ -z "${!name:-}" ]; then echo "entrypoint: $name is not set (Spark sets it on executor pods)" >&2; exit 2; fi
    done
    # JVM options Spark passes one per variable, in index order.
    java_opts=()
    while read -r name; do
      java_opts+=("${!name}")
    done < <(compgen -e | grep '^SPARK_JAVA_OPT_[0-9]*$' | sort -t_ -k4,4n || true)
    classpath="${SPARK_CONF_DIR:+$SPARK_CONF_DIR:}${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_HOME/jars/*"
    exec "$(java_bin)" "${java_opts[@]}" \
      "-Xms$SPARK_EXECUTOR_MEMORY" "-Xmx$SPARK_EXECUTOR_MEMORY" \
      -cp "$classpath" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" \
      --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
      --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  "")
    echo "usage: entrypoint.sh driver ARGS... | executor | COMMAND [ARGS...]" >&2
    exit 2
    ;;
  *)
    exec "$@"
    ;;
esac
