#!/usr/bin/env bash
# Regenerates the vendored schemas in k8s/schemas/ from Maven Central artifacts (see README.md).
# Needs mvn, a Java 17 and a Java 21+ (Strimzi's CRD generator is built for 21; set JAVA21),
# /usr/bin/python3 with PyYAML. CI does not run this: it validates against the committed files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

FLINK_OPERATOR=1.10.0   # newest org.apache.flink:flink-kubernetes-operator-api this project's Maven mirror serves
STRIMZI=1.2.0           # io.strimzi:api and io.strimzi:crd-generator
CLIENT_JAVA=27.0.0      # io.kubernetes:client-java-api
JAVA21="${JAVA21:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"

# classpath NAME GROUP:ARTIFACT:VERSION... : resolves the artifacts with their dependencies.
classpath() {
  local name="$1" deps="" gav
  shift
  for gav in "$@"; do
    IFS=: read -r g a v <<<"$gav"
    deps+="<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
  done
  mkdir -p "$work/$name"
  cat >"$work/$name/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>$name</artifactId><version>1</version>
<dependencies>$deps</dependencies></project>
POM
  (cd "$work/$name" && mvn -B -ntp -q -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile=cp.txt >&2)
  cat "$work/$name/cp.txt"
}

# Kubernetes core kinds, from the client-java models (generated from the Kubernetes OpenAPI spec).
cp="$(classpath core "io.kubernetes:client-java-api:$CLIENT_JAVA")"
java -cp "$cp" "$here/CoreSchemaGen.java" "$out/core.json" "io.kubernetes:client-java-api:$CLIENT_JAVA" \
  v1/Namespace=V1Namespace v1/ServiceAccount=V1ServiceAccount \
  v1/PersistentVolumeClaim=V1PersistentVolumeClaim \
  rbac.authorization.k8s.io/v1/Role=V1Role rbac.authorization.k8s.io/v1/RoleBinding=V1RoleBinding \
  batch/v1/Job=V1Job

# Strimzi: the io.strimzi:api jar holds the annotated model, not the YAML; generate the CRDs with
# Strimzi's own CRD generator and the arguments its build uses (api/pom.xml).
cp="$(classpath strimzi "io.strimzi:api:$STRIMZI" "io.strimzi:crd-generator:$STRIMZI")"
"$JAVA21" -cp "$cp" io.strimzi.crdgenerator.CrdGenerator --label app:strimzi \
  --label strimzi.io/crd-install:true --target-kube 1.16+ --crd-api-version v1 --api-versions v1 \
  --storage-version v1 --yaml \
  "io.strimzi.api.kafka.model.kafka.Kafka=$work/kafka.yaml" \
  "io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$work/kafkanodepool.yaml" \
  "io.strimzi.api.kafka.model.topic.KafkaTopic=$work/kafkatopic.yaml"
for kind in Kafka KafkaNodePool KafkaTopic; do
  lower="$(tr '[:upper:]' '[:lower:]' <<<"$kind")"
  /usr/bin/python3 "$here/crd2json.py" "$work/$lower.yaml" v1 "$out/kafka.strimzi.io_v1_$kind.json" \
    "io.strimzi:api:$STRIMZI via io.strimzi:crd-generator:$STRIMZI"
done

# Flink Kubernetes Operator: the CRD YAML ships inside the api jar.
cp="$(classpath flink "org.apache.flink:flink-kubernetes-operator-api:$FLINK_OPERATOR")"
jar="$(tr ':' '\n' <<<"$cp" | grep "flink-kubernetes-operator-api-$FLINK_OPERATOR.jar")"
(cd "$work" && unzip -q -o "$jar" META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml)
/usr/bin/python3 "$here/crd2json.py" "$work/META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml" \
  v1beta1 "$out/flink.apache.org_v1beta1_FlinkDeployment.json" \
  "org.apache.flink:flink-kubernetes-operator-api:$FLINK_OPERATOR" \
  --add-enum spec.flinkVersion=v2_0,v2_1,v2_2
echo "schemas written to $out" >&2
