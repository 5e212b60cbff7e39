package dev.blt.cli;

import dev.blt.flink.ChunkDecoder;
import dev.blt.kafka.InputFormat;
import dev.blt.kafka.InputLimits;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.kafka.SchemaRegistry;
import dev.blt.kafka.TopicSample;
import dev.blt.model.ModelBundle;
import dev.blt.model.ModelManifest;
import dev.blt.flink.StreamChunk;
import dev.blt.patching.Segmentation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code blt adapt}: fine-tunes a model folder on your logs, taken from a Kafka topic (its newest
 * committed records) or from files, by running {@code model-export/adapt.py}, which holds back the
 * newest tenth of each stream, trains, recalibrates, reports before and after, and refuses to
 * write a model that is worse on what it held back.
 */
@Command(name = "adapt", mixinStandardHelpOptions = true,
        description = "Fine-tune the models on your logs (from a Kafka topic or from files) and write a new model folder.")
public class AdaptCommand implements Callable<Integer> {

    /** Files handed to adapt.py at most: the largest streams each get one, the rest share the last. */
    static final int MAX_SAMPLE_FILES = 64;

    /** Less than this is too little to learn anything from (or to hold a tenth back). */
    static final long MIN_SAMPLE_BYTES = 4096;

    /** Exactly one place the logs come from. */
    static final class From {
        @ArgGroup(exclusive = false) KafkaTopic kafka;
        @Option(names = "--logs", arity = "1..*", paramLabel = "FILE", required = true) List<Path> logs;
    }

    static final class KafkaTopic {
        @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT") String bootstrapServers;
        @Option(names = "--topic", required = true) String topic;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    From from;

    @Option(names = "--sample-bytes", defaultValue = "4194304", paramLabel = "N") long sampleBytes;
    @Option(names = "--input-format", defaultValue = "raw", paramLabel = "raw|avro") InputFormat inputFormat;
    @Option(names = "--default-stream-id", defaultValue = ChunkDecoder.DEFAULT_STREAM_ID) String defaultStreamId;
    @Option(names = "--schema-registry-url", paramLabel = "URL") String schemaRegistryUrl;
    @Option(names = "--segmentation", defaultValue = "stream", paramLabel = "stream|record") Segmentation segmentation;
    @Option(names = "--minutes", defaultValue = "10", paramLabel = "M") double minutes;
    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
    @Option(names = "--model", paramLabel = "DIR") Path model;
    @Option(names = "--name", paramLabel = "NAME") String name;
    @Option(names = "--python", defaultValue = "/usr/bin/python3", paramLabel = "PATH") String python;
    @Option(names = "--adapt-script", paramLabel = "PATH") Path adaptScript;
    @Option(names = "--timeout-s", defaultValue = "60", paramLabel = "SECONDS") long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (!(minutes > 0)) {
            throw new IllegalArgumentException("--minutes must be positive, got " + minutes);
        }
        if (Files.exists(out) && !isEmptyFolder(out)) {
            throw new IllegalArgumentException("--out " + out + " exists and is not an empty folder: adapt writes a new one");
        }
        Path script = script();
        Path work = Files.createTempDirectory("blt-adapt-");
        try {
            Path base = model != null ? model : bundledModel(work.resolve("base-model"));
            List<String> command = new ArrayList<>(List.of(python, script.toString(), "--model", base.toString(),
                    "--minutes", Double.toString(minutes), "--out", out.toAbsolutePath().toString()));
            if (name != null) {
                command.addAll(List.of("--name", name));
            }
            if (from.kafka != null) {
                Sample sample = sample(ModelBundle.fromDirectory(base).manifest());
                command.addAll(List.of("--sample-note", sample.note()));
                command.add("--logs");
                for (Path f : sample.write(work.resolve("sample"))) {
                    command.add(f.toString());
                }
            } else {
                command.add("--logs");
                for (Path f : from.logs) {
                    if (!Files.isRegularFile(f)) {
                        throw new IllegalArgumentException("--logs " + f + ": no such file");
                    }
                    command.add(f.toAbsolutePath().toString());
                }
            }
            System.err.println("blt adapt: running " + String.join(" ", command.subList(0, 2)) + " ...");
            Process process = new ProcessBuilder(command).directory(script.getParent().toFile()).inheritIO().start();
            return process.waitFor();
        } finally {
            deleteRecursively(work);
        }
    }

    /** The newest records of the topic, decoded as the job decodes them, per stream in offset order. */
    record Sample(Map<String, ByteArrayOutputStream> streams, String note) {

        /** One file per stream, the largest first; streams past MAX_SAMPLE_FILES - 1 share the last. */
        List<Path> write(Path dir) throws IOException {
            Files.createDirectories(dir);
            List<Map.Entry<String, ByteArrayOutputStream>> bySize = new ArrayList<>(streams.entrySet());
            bySize.sort(Comparator.comparingInt((Map.Entry<String, ByteArrayOutputStream> e) -> e.getValue().size()).reversed());
            List<Path> files = new ArrayList<>();
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            for (int i = 0; i < bySize.size(); i++) {
                if (i < MAX_SAMPLE_FILES - 1) {
                    Path f = dir.resolve("stream-" + i + ".log");
                    Files.write(f, bySize.get(i).getValue().toByteArray());
                    files.add(f);
                } else {
                    bySize.get(i).getValue().writeTo(rest);
                }
            }
            if (rest.size() > 0) {
                Path f = dir.resolve("other-streams.log");
                Files.write(f, rest.toByteArray());
                files.add(f);
            }
            return files;
        }
    }

    private Sample sample(ModelManifest manifest) {
        if (sampleBytes < MIN_SAMPLE_BYTES) {
            throw new IllegalArgumentException("--sample-bytes must be at least " + MIN_SAMPLE_BYTES + ", got " + sampleBytes);
        }
        SchemaRegistry registry = schemaRegistryUrl == null ? null : new SchemaRegistry(schemaRegistryUrl, null);
        ChunkDecoder decoder = new ChunkDecoder(inputFormat, defaultStreamId, InputLimits.DEFAULT, registry);
        byte separator = (byte) manifest.streaming().recordSeparatorByte();
        Map<String, ByteArrayOutputStream> streams = new LinkedHashMap<>();
        long records = 0;
        long bytes = 0;
        long skipped = 0;
        List<String> spans = new ArrayList<>();
        String topic = from.kafka.topic;
        for (TopicSample.Partition p : TopicSample.newest(from.kafka.bootstrapServers, topic, sampleBytes,
                Duration.ofSeconds(timeoutSeconds))) {
            spans.add(p.partition().partition() + ":" + (p.records().isEmpty() ? p.endOffset() : p.records().get(0).offset())
                    + "-" + p.endOffset());
            for (ConsumerRecord<byte[], byte[]> r : p.records()) {
                StreamChunk chunk = decoder.decodeOrNull(new KafkaInputRecord(r.key(), r.value(), r.topic(), r.partition(),
                        r.offset(), r.timestamp()));
                if (chunk == null) {
                    skipped++;
                    continue;
                }
                ByteArrayOutputStream stream = streams.computeIfAbsent(chunk.streamId(), k -> new ByteArrayOutputStream());
                stream.writeBytes(chunk.payload());
                if (segmentation == Segmentation.RECORD) {
                    stream.write(separator);
                }
                records++;
                bytes += chunk.payload().length;
            }
        }
        String note = "Kafka topic " + topic + " on " + from.kafka.bootstrapServers + ": the newest " + records
                + " committed records (" + bytes + " bytes, " + streams.size() + " streams; partition:offsets "
                + String.join(", ", spans) + "), " + inputFormat.name().toLowerCase(java.util.Locale.ROOT) + ", "
                + segmentation.name().toLowerCase(java.util.Locale.ROOT) + " segmentation"
                + (skipped > 0 ? "; " + skipped + " records skipped that the job would send to the dead-letter topic" : "");
        System.err.println("blt adapt: sampled " + note);
        if (bytes < MIN_SAMPLE_BYTES) {
            throw new IllegalArgumentException("topic " + topic + " holds only " + bytes + " usable bytes of committed "
                    + "records; adapt needs at least " + MIN_SAMPLE_BYTES + " (and learns more from megabytes)");
        }
        return new Sample(streams, note);
    }

    /** adapt.py: --adapt-script, BLT_ADAPT_SCRIPT, or model-export/ of the repository the jar was built in, or of the working directory. */
    private Path script() {
        List<Path> candidates = new ArrayList<>();
        if (adaptScript != null) {
            candidates.add(adaptScript);
        } else {
            String env = System.getenv("BLT_ADAPT_SCRIPT");
            if (env != null && !env.isBlank()) {
                candidates.add(Path.of(env));
            }
            try {
                Path jar = Path.of(AdaptCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                // flink-job/target/blt.jar (or flink-job/target/classes in tests) -> the repository root
                candidates.add(jar.getParent().getParent().getParent().resolve("model-export/adapt.py"));
            } catch (Exception e) {
                // no code source: try the working directory only
            }
            candidates.add(Path.of("model-export/adapt.py").toAbsolutePath());
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                return c.toAbsolutePath().normalize();
            }
        }
        throw new IllegalArgumentException("adapt.py not found (looked at " + candidates + "): blt adapt runs the "
                + "repository's model-export/adapt.py with PyTorch (" + python + "); give --adapt-script PATH");
    }

    /** The model bundled in the jar, written out as a folder for adapt.py to start from. */
    private static Path bundledModel(Path dir) throws IOException {
        ModelManifest manifest = ModelBundle.fromClasspath(ModelBundle.DEFAULT_RESOURCE).manifest();
        Files.createDirectories(dir);
        List<String> files = new ArrayList<>(manifest.files().keySet());
        files.add(ModelBundle.MANIFEST_FILE);
        for (String f : files) {
            try (InputStream in = AdaptCommand.class.getClassLoader()
                    .getResourceAsStream(ModelBundle.DEFAULT_RESOURCE + "/" + f)) {
                if (in == null) {
                    throw new IOException("bundled model file " + f + " is missing from the jar");
                }
                Files.copy(in, dir.resolve(f));
            }
        }
        return dir;
    }

    private static boolean isEmptyFolder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
