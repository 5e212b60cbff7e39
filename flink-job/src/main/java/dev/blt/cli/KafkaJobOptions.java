package dev.blt.cli;

import dev.blt.flink.BundleSettings;
import dev.blt.flink.DriftSettings;
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

/**
 * The flags of a Kafka job: `blt run` takes them, `blt demo` and the tests build theirs with {@link #parse}.
 * Their help text is in {@code flags.properties}.
 */
public class KafkaJobOptions {

    // Topics: where the records come from and where each output goes ('none' switches an output off).
    @Option(names = "--input-topic", defaultValue = "blt.bytes") String inputTopic;
    @Option(names = "--input-format", defaultValue = "raw", paramLabel = "raw|avro") InputFormat inputFormat;
    @Option(names = "--default-stream-id", defaultValue = ChunkDecoder.DEFAULT_STREAM_ID) String defaultStreamId;
    @Option(names = "--patches-topic", defaultValue = "blt.patches") String patchesTopic;
    @Option(names = "--embeddings-topic", defaultValue = "blt.embeddings") String embeddingsTopic;
    @Option(names = "--predictions-topic", defaultValue = "blt.predictions") String predictionsTopic;
    @Option(names = "--record-scores-topic", defaultValue = "blt.record-scores") String recordScoresTopic;
    @Option(names = "--dlq-topic", defaultValue = "blt.dlq") String deadLetterTopic;

    // What the job runs and how it cuts streams into documents.
    @Option(names = "--stage", defaultValue = "all", paramLabel = "all|patch|blt") JobOptions.Stage stage;
    @Option(names = "--segmentation", defaultValue = "stream", paramLabel = "stream|record") Segmentation segmentation;
    @Option(names = "--record-context", defaultValue = "carry", paramLabel = "carry|reset") RecordContext recordContext;

    @Mixin
    BltOutputOptions outputs;

    // Batching of model calls, and the patcher's memory.
    @Option(names = "--bundle-max-bytes", defaultValue = "65536") int bundleMaxBytes;
    @Option(names = "--bundle-max-delay-ms", defaultValue = "200") long bundleMaxDelayMs;
    @Option(names = "--idle-flush-ms", defaultValue = "0") long idleFlushMs;
    @Option(names = "--window-cache-mb", defaultValue = "256", paramLabel = "MB") long windowCacheMb;
    @Option(names = "--state-ttl", defaultValue = "24h", paramLabel = "DURATION", converter = Converters.DurationConverter.class) long stateTtlMs;

    // Drift: how far streams are from what the model knows (metrics, and a WARN line per drifting stream).
    @Option(names = "--drift-warn-ratio", defaultValue = "1.5", paramLabel = "RATIO") double driftWarnRatio;
    @Option(names = "--drift-metric-streams", defaultValue = "16", paramLabel = "N") int driftMetricStreams;

    // Input that goes to the dead-letter topic instead of the model.
    @Option(names = "--max-key-bytes", defaultValue = "4096") int maxKeyBytes;
    @Option(names = "--max-record-bytes", defaultValue = "1048576") int maxRecordBytes;

    // Kafka clients: exactly-once output through transactions committed on checkpoints.
    @Option(names = "--group-id", defaultValue = "blt-patcher") String groupId;
    @Option(names = "--transactional-id-prefix", defaultValue = "blt") String transactionalIdPrefix;
    @Option(names = {"-K", "--kafka-property"}, paramLabel = "KEY=VALUE") Map<String, String> kafkaProperties = new LinkedHashMap<>();
    @Option(names = "--schema-registry-url", paramLabel = "URL") String schemaRegistryUrl;
    @Option(names = "--schema-registry-user-info", paramLabel = "USER:PASSWORD") String schemaRegistryUserInfo;

    // Checkpoints, recovery and the Flink cluster.
    @Option(names = "--checkpoint-interval-ms", defaultValue = "10000") long checkpointIntervalMs;
    @Option(names = "--checkpoint-dir") String checkpointDirectory;
    @Option(names = "--state-backend", defaultValue = JobOptions.STATE_HASHMAP, paramLabel = "hashmap|rocksdb") String stateBackend;
    @Option(names = "--resume", defaultValue = JobOptions.RESUME_LATEST, paramLabel = "latest|none|PATH") String resume;
    @Option(names = "--max-restarts", defaultValue = "10") int maxRestarts;
    @Option(names = "--parallelism", defaultValue = JobOptions.PARALLELISM_AUTO, paramLabel = "auto|N") String parallelism;
    @Option(names = {"-D", "--flink-conf"}, paramLabel = "KEY=VALUE") Map<String, String> flinkConfiguration = new LinkedHashMap<>();

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
                new DriftSettings(driftWarnRatio, driftMetricStreams),
                new InputLimits(maxKeyBytes, maxRecordBytes), checkpointIntervalMs,
                checkpointDirectory == null ? defaultCheckpointDirectory(groupId) : checkpointDirectory,
                stateBackend.trim().toLowerCase(java.util.Locale.ROOT), resume.trim(),
                maxRestarts, flinkConfiguration, parallelism(parallelism), bounded);
    }

    /** --parallelism: a whole number of at least 1, or auto (0 in {@link JobOptions}). */
    private static int parallelism(String value) {
        String v = value.trim();
        if (JobOptions.PARALLELISM_AUTO.equalsIgnoreCase(v)) {
            return 0;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException("--parallelism must be " + JobOptions.PARALLELISM_AUTO
                + " (one per core on a local cluster) or a whole number >= 1, got '" + value + "'");
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
        // toUri() ends an existing directory with '/': the same folder must print the same every time.
        return java.nio.file.Path.of("blt-checkpoints", groupId).toAbsolutePath().toUri().toString().replaceAll("/+$", "");
    }

    private static String topic(String name) {
        return name == null || name.isBlank() || "none".equalsIgnoreCase(name) ? null : name;
    }
}
