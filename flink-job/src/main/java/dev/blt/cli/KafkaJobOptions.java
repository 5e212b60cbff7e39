package dev.blt.cli;

import dev.blt.flink.BundleSettings;
import dev.blt.flink.JobOptions;
import dev.blt.kafka.InputLimits;
import dev.blt.flink.ChunkDecoder;
import dev.blt.kafka.InputFormat;
import dev.blt.model.ModelSource;
import dev.blt.patching.RecordContext;
import dev.blt.patching.Segmentation;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The flags of a Kafka job, shared by `blt run` and `blt demo`. */
public class KafkaJobOptions {

    @Option(names = "--input-topic", defaultValue = "blt.bytes", description = "Input topic (default: ${DEFAULT-VALUE}).")
    String inputTopic;

    @Option(names = "--input-format", defaultValue = "raw", paramLabel = "raw|avro",
            description = "raw: key = stream id, value = bytes; avro: ByteChunk single-object encoding (default: ${DEFAULT-VALUE}).")
    InputFormat inputFormat;

    @Option(names = "--default-stream-id", defaultValue = ChunkDecoder.DEFAULT_STREAM_ID,
            description = "Stream id of raw records without a key (default: ${DEFAULT-VALUE}).")
    String defaultStreamId;

    @Option(names = "--patches-topic", defaultValue = "blt.patches", description = "Patch output topic (default: ${DEFAULT-VALUE}).")
    String patchesTopic;

    @Option(names = "--embeddings-topic", defaultValue = "blt.embeddings",
            description = "PatchEmbedding output topic; 'none' switches it off (default: ${DEFAULT-VALUE}).")
    String embeddingsTopic;

    @Option(names = "--predictions-topic", defaultValue = "blt.predictions",
            description = "Prediction output topic; 'none' switches it off (default: ${DEFAULT-VALUE}).")
    String predictionsTopic;

    @Option(names = "--record-scores-topic", defaultValue = "blt.record-scores",
            description = "RecordScore output topic (record segmentation); 'none' switches it off (default: ${DEFAULT-VALUE}).")
    String recordScoresTopic;

    @Option(names = "--stage", defaultValue = "all", paramLabel = "all|patch|blt",
            description = "all: patcher and BLT stage; patch: patcher only; blt: BLT stage alone, reading the patches topic (default: ${DEFAULT-VALUE}).")
    JobOptions.Stage stage;

    @Mixin
    BltOutputOptions outputs;

    @Option(names = "--dlq-topic", defaultValue = "blt.dlq", description = "Dead-letter topic (default: ${DEFAULT-VALUE}).")
    String deadLetterTopic;

    @Option(names = "--group-id", defaultValue = "blt-patcher", description = "Consumer group id (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--transactional-id-prefix", defaultValue = "blt",
            description = "Prefix of the sinks' transactional ids; unique per job on a cluster (default: ${DEFAULT-VALUE}).")
    String transactionalIdPrefix;

    @Option(names = "--segmentation", defaultValue = "stream", paramLabel = "stream|record",
            description = "stream: one byte stream per key; record: every Kafka record is a document, as for log lines (default: ${DEFAULT-VALUE}).")
    Segmentation segmentation;

    @Option(names = "--record-context", defaultValue = "carry", paramLabel = "carry|reset",
            description = "Record segmentation: carry = the models see the key's earlier records before each one "
                    + "(patches still never span records); reset = every record is scored alone (default: ${DEFAULT-VALUE}).")
    RecordContext recordContext;

    @Option(names = "--window-cache-mb", defaultValue = "256", paramLabel = "MB",
            description = "Heap per patcher for the attention keys and values of recently active keys' open windows, "
                    + "so small records do not re-run the model's context; 0 switches it off (default: ${DEFAULT-VALUE}).")
    long windowCacheMb;

    @Option(names = "--bundle-max-bytes", defaultValue = "65536",
            description = "Run a batched model call once this many bytes are buffered (default: ${DEFAULT-VALUE}).")
    int bundleMaxBytes;

    @Option(names = "--bundle-max-delay-ms", defaultValue = "200",
            description = "... or once the oldest buffered byte waited this long (default: ${DEFAULT-VALUE}).")
    long bundleMaxDelayMs;

    @Option(names = "--idle-flush-ms", defaultValue = "0",
            description = "stream: close an idle key's open patch after this long; 0 = never. Trades exactness for latency (default: ${DEFAULT-VALUE}).")
    long idleFlushMs;

    @Option(names = "--state-ttl", defaultValue = "24h", paramLabel = "DURATION",
            converter = Converters.DurationConverter.class,
            description = "Forget a key after this long without input (its open patch is emitted first), so state stays "
                    + "bounded as keys come and go; 0 = never. A stream that resumes later starts again at offset 0 "
                    + "without its earlier context (default: ${DEFAULT-VALUE}).")
    long stateTtlMs;

    @Option(names = "--max-key-bytes", defaultValue = "4096",
            description = "Longest stream id (key); longer ones go to the dead-letter topic (default: ${DEFAULT-VALUE}).")
    int maxKeyBytes;

    @Option(names = "--max-record-bytes", defaultValue = "1048576",
            description = "Largest input record; larger ones go to the dead-letter topic. Records up to it are patched in "
                    + "64 KiB slices (default: ${DEFAULT-VALUE}, the largest record a Kafka broker accepts by default).")
    int maxRecordBytes;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "10000",
            description = "Checkpoint interval; output becomes visible to read_committed consumers on each checkpoint (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;

    @Option(names = "--checkpoint-dir",
            description = "Checkpoint and savepoint storage URI, one per job, e.g. file:///var/lib/blt/ck or s3://bucket/ck "
                    + "(default: ./blt-checkpoints/<group id>). Checkpoints are kept on cancel and failure.")
    String checkpointDirectory;

    @Option(names = "--state-backend", defaultValue = JobOptions.STATE_HASHMAP, paramLabel = "hashmap|rocksdb",
            description = "Where keyed state lives: hashmap (JVM heap, fastest) or rocksdb (local disk, for many keys; "
                    + "incremental checkpoints) (default: ${DEFAULT-VALUE}).")
    String stateBackend;

    @Option(names = "--resume", defaultValue = JobOptions.RESUME_LATEST, paramLabel = "latest|none|PATH",
            description = "Restore from: latest = the newest checkpoint or savepoint in --checkpoint-dir, if there is one; "
                    + "none = start from the consumer group's offsets; or the path of a checkpoint (.../chk-N) or savepoint "
                    + "(default: ${DEFAULT-VALUE}).")
    String resume;

    @Option(names = "--max-restarts", defaultValue = "10",
            description = "Restarts after failures (with backoff from 1 s to 30 s) before the job fails; the budget "
                    + "refills after 10 minutes without a failure (default: ${DEFAULT-VALUE}).")
    int maxRestarts;

    @Option(names = {"-D", "--flink-conf"}, paramLabel = "KEY=VALUE",
            description = "Flink configuration option (repeatable), applied last, e.g. -D execution.target=remote "
                    + "-D rest.address=flink-jm -D rest.port=8081 to submit to a running Flink cluster.")
    Map<String, String> flinkConfiguration = new LinkedHashMap<>();

    @Option(names = "--parallelism", defaultValue = "1", description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Write every output topic in the Schema Registry wire format (0x00, schema id, Avro binary), "
                    + "registering each topic's value schema under <topic>-value at this Confluent-compatible registry "
                    + "(e.g. http://registry:8081, or Apicurio's http://host:8080/apis/ccompat/v7). Default: Avro "
                    + "single-object encoding, no registry.")
    String schemaRegistryUrl;

    @Option(names = "--schema-registry-user-info", paramLabel = "USER:PASSWORD",
            description = "HTTP basic authentication for --schema-registry-url.")
    String schemaRegistryUserInfo;

    @Option(names = {"-K", "--kafka-property"}, paramLabel = "KEY=VALUE",
            description = "Kafka client property for the source and sinks (repeatable), e.g. -K security.protocol=SSL.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    /**
     * Parses job flags (as `blt run` takes them); tests and `blt demo` build their jobs this way.
     * A flag given twice takes its last value, so callers can override defaults they were handed.
     */
    public static KafkaJobOptions parse(String... args) {
        KafkaJobOptions options = new KafkaJobOptions();
        Converters.withEnumConverters(new picocli.CommandLine(options)).setOverwrittenOptionsAllowed(true).parseArgs(args);
        return options;
    }

    public JobOptions toJobOptions(String bootstrapServers, ModelSource model, boolean bounded) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        return new JobOptions(bootstrapServers, inputTopic, inputFormat, defaultStreamId, groupId,
                patchesTopic, topic(embeddingsTopic), topic(predictionsTopic), topic(recordScoresTopic),
                deadLetterTopic, stage, outputs.topK, outputs.continuationBytes, transactionalIdPrefix, props, schemaRegistry(),
                model, segmentation,
                recordContext, windowCacheMb << 20, outputs.noveltyWindow,
                new BundleSettings(bundleMaxBytes, bundleMaxDelayMs, idleFlushMs), stateTtlMs,
                new InputLimits(maxKeyBytes, maxRecordBytes), checkpointIntervalMs,
                checkpointDirectory == null ? defaultCheckpointDirectory(groupId) : checkpointDirectory,
                stateBackend.trim().toLowerCase(java.util.Locale.ROOT), resume.trim(),
                maxRestarts, flinkConfiguration, parallelism, bounded);
    }

    private dev.blt.kafka.SchemaRegistry schemaRegistry() {
        if (schemaRegistryUrl == null) {
            if (schemaRegistryUserInfo != null) {
                throw new IllegalArgumentException("--schema-registry-user-info needs --schema-registry-url");
            }
            return null;
        }
        return new dev.blt.kafka.SchemaRegistry(schemaRegistryUrl, schemaRegistryUserInfo);
    }

    /** ./blt-checkpoints/GROUP: per consumer group, so that "--resume latest" never picks another job's state. */
    static String defaultCheckpointDirectory(String groupId) {
        return java.nio.file.Path.of("blt-checkpoints", groupId).toAbsolutePath().toUri().toString();
    }

    private static String topic(String name) {
        return name == null || name.isBlank() || "none".equalsIgnoreCase(name) ? null : name;
    }
}
