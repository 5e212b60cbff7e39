package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blt.cli.BenchCommand;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A benchmark, not a test of correctness: how fast `blt run --bounded` (default flags: stream
 * segmentation, patches, embeddings and predictions, exactly once) drains a backlog already in
 * Kafka, on long-lived keys, at parallelism 1 and 2, for each model folder in
 * {@code -Dblt.bench.models=DIR,DIR} (default: the shipped model), with {@code -Dblt.bench.args}
 * added to every run's flags. A Kafka broker runs in its own
 * JVM and each job in another. A run's time is its process's wall time less that of the same run on
 * an empty topic (JVM start, job submission, the final checkpoint), so the rate is the drain's.
 * jtokkit's cl100k BPE on the same lines in this JVM is the fixed reference. Printed as a Markdown
 * table and written to {@code flink-job/target/backlog-bench.md}; run it with {@code bench/backlog.sh}.
 */
class BacklogBench {

    private static final int KEYS = 20;
    private static final int LINES_PER_SYSTEM = 1000;
    private static final Duration WAIT = Duration.ofMinutes(15);

    @Test
    void drainRateAtParallelismOneAndTwo() throws Exception {
        Path loghub = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("../../shared/data/eval/loghub")
                .normalize();
        Assumptions.assumeTrue(Files.isDirectory(loghub), "skipped: no Loghub data at " + loghub);
        List<byte[]> lines = new ArrayList<>();
        for (String system : List.of("HDFS", "OpenSSH", "Spark", "Linux")) {
            List<String> log = Files.readAllLines(loghub.resolve(system + "/" + system + "_2k.log"), StandardCharsets.ISO_8859_1);
            for (String line : log.subList(0, LINES_PER_SYSTEM)) {
                lines.add((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        long bytes = lines.stream().mapToLong(l -> l.length).sum();
        long[] tokens = new long[1];
        double bpe = 0;
        for (int r = 0; r < 3; r++) {
            bpe = Math.max(bpe, BenchCommand.bpeKbPerSecond(lines, tokens));
        }
        String models = System.getProperty("blt.bench.models", "");
        List<String> rows = new ArrayList<>();
        Path work = FaultWorkDirs.create("backlog-bench");
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(work.resolve("kafka"))) {
            int run = 0;
            for (String model : models.isEmpty() ? List.of("") : List.of(models.split(","))) {
                double rateAtOne = 0;
                for (int parallelism : new int[] {1, 2}) {
                    double empty = drain(broker, work, "empty-" + run, model, parallelism, List.of());
                    double full = drain(broker, work, "full-" + run, model, parallelism, lines);
                    run++;
                    double kbs = bytes / 1e3 / (full - empty);
                    rateAtOne = parallelism == 1 ? kbs : rateAtOne;
                    rows.add(String.format("| %s | %d | %.1f s (empty topic %.1f s) | %.1f | %.2f× | %.0f× |",
                            model.isEmpty() ? "shipped" : Path.of(model).getFileName(), parallelism, full, empty, kbs,
                            kbs / rateAtOne, bpe / kbs));
                    System.out.println(rows.get(rows.size() - 1));
                }
            }
        }
        String table = "`blt run --bounded` draining a backlog in Kafka (" + LocalDate.now() + ", "
                + Runtime.getRuntime().availableProcessors() + " cores; broker and job each in its own JVM; "
                + lines.size() + " Loghub lines of HDFS, OpenSSH, Spark and Linux, " + bytes / 1000 + " KB, over " + KEYS
                + " keys; default flags" + (System.getProperty("blt.bench.args", "").isBlank() ? ""
                        : " plus " + System.getProperty("blt.bench.args").trim())
                + ": stream segmentation, patches, embeddings and predictions; cl100k BPE (jtokkit) "
                + String.format("%.0f KB/s", bpe) + " on the same lines)\n\n"
                + "| model | parallelism | wall time | KB/s | × parallelism 1 | BPE is faster by |\n"
                + "|---|---|---|---|---|---|\n" + String.join("\n", rows) + "\n";
        Files.writeString(Path.of("target", "backlog-bench.md"), table);
        System.out.println(table);
    }

    /** Produces the lines (dealt round-robin over the keys), then times `blt run --bounded` over them. */
    private static double drain(KafkaBrokerProcess broker, Path work, String name, String model, int parallelism,
                                List<byte[]> lines) throws Exception {
        for (String topic : List.of(".in", ".patches", ".embeddings", ".predictions", ".record-scores")) {
            broker.createTopic(name + topic, 2);
        }
        broker.createTopic(name + ".dlq", 1);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < lines.size(); i++) {
                producer.send(new ProducerRecord<>(name + ".in", ("host-" + i % KEYS).getBytes(StandardCharsets.UTF_8),
                        lines.get(i)));
            }
        }
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", broker.bootstrapServers(), "--bounded",
                "--input-topic", name + ".in", "--patches-topic", name + ".patches", "--embeddings-topic", name + ".embeddings",
                "--predictions-topic", name + ".predictions", "--record-scores-topic", name + ".record-scores",
                "--dlq-topic", name + ".dlq", "--group-id", name, "--transactional-id-prefix", name,
                "--parallelism", String.valueOf(parallelism), "--checkpoint-dir", work.resolve(name + "-ck").toUri().toString()));
        if (!model.isEmpty()) {
            args.addAll(List.of("--model", model));
        }
        // Options with their values, e.g. "--stage patch" or "--embeddings-topic none": what a stage or an
        // output costs. One the harness sets already takes the new value.
        String extra = System.getProperty("blt.bench.args", "").trim();
        String[] pairs = extra.isEmpty() ? new String[0] : extra.split("\\s+");
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            int at = args.indexOf(pairs[i]);
            if (at >= 0) {
                args.set(at + 1, pairs[i + 1]);
            } else {
                args.addAll(List.of(pairs[i], pairs[i + 1]));
            }
        }
        long t0 = System.nanoTime();
        List<String> jvm = new ArrayList<>(List.of("-Xmx2g"));
        String profile = System.getProperty("blt.bench.jfr", ""); // a folder: one flight recording per run
        if (!profile.isBlank()) {
            jvm.add("-XX:StartFlightRecording=filename=" + Path.of(profile).resolve(name + ".jfr").toAbsolutePath()
                    + ",settings=profile");
        }
        JavaProcess job = BltRun.local(name, work, jvm, args);
        int exit = job.awaitExit(WAIT);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, exit, () -> "blt run --bounded failed:\n" + job.describeLogs());
        return seconds;
    }
}
