# Sourced by the stand-in's bin/ scripts: paths, class path and the BashJavaUtils call.
# shellcheck shell=bash
FLINK_HOME="${FLINK_HOME:-/opt/flink}"
FLINK_CONF_DIR="${FLINK_CONF_DIR:-$FLINK_HOME/conf}"
FLINK_LIB_DIR="${FLINK_LIB_DIR:-$FLINK_HOME/lib}"

# JDK 17 module flags the distribution's default config.yaml puts in env.java.opts.all (Kryo,
# Pekko and the network stack reflect into java.base). This stand-in does not read env.java.opts.*
# from config.yaml; extra JVM flags go in FLINK_ENV_JAVA_OPTS.
# shellcheck disable=SC2034  # used by flink-console.sh
FLINK_JDK17_OPTS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

flink_classpath() {  # the jars of lib/, sorted, ':'-separated (usrlib/ is the user class path)
  local jars=("$FLINK_LIB_DIR"/*.jar)
  local IFS=:
  printf '%s' "${jars[*]}"
}

# bash_java_utils COMMAND [ARGS...]: runs Flink's BashJavaUtils and prints its result lines
# without their prefix; on failure prints its whole output to stderr and returns non-zero.
bash_java_utils() {
  local out
  if ! out=$(java -Xmx128m -cp "$(flink_classpath)" \
      -Dlog4j.configurationFile="file:$FLINK_CONF_DIR/log4j-console.properties" \
      org.apache.flink.runtime.util.bash.BashJavaUtils "$@" 2>&1); then
    printf 'BashJavaUtils %s failed:\n%s\n' "$1" "$out" >&2
    return 1
  fi
  printf '%s\n' "$out" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p'
}
