package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.Patch;
import dev.blt.cli.BltMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A benchmark, not a test of correctness: `blt run` end to end. A Kafka broker in its own JVM, the
 * job in another (`blt run --segmentation record --stage patch`, exactly once), and a producer and a
 * read_committed consumer in this one. For each checkpoint interval: the sustained rate (a backlog
 * of Loghub lines over {@link #KEYS} keys, from the first send to the last record's closing patch
 * being readable), then p50/p99 latency from a record's send to its last patch being readable, at
 * three offered loads paced against that rate. The bare patching path ({@code blt bench}, the same
 * lines and keys, in this JVM) gives the overhead. Printed as a Markdown table and written to
 * {@code flink-job/target/latency-bench.md}; run it with {@code bench/latency.sh}.
 */
class LatencyBench {

    private static final int KEYS = 100;
    private static final int BACKLOG_LINES = 3000;
    private static final double[] LOADS = {0.25, 0.5, 0.9};
    private static final int[] CHECKPOINT_MS = {1000, 5000};
    private static final Duration LOAD_SECONDS = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofMinutes(5);

    @Test
    void endToEndRateAndLatency() throws Exception {
        Path loghub = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("../../shared/data/eval/loghub")
                .normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(loghub), "skipped: no Loghub data at " + loghub);
        List<Path> files = List.of(loghub.resolve("HDFS/HDFS_2k.log"), loghub.resolve("OpenSSH/OpenSSH_2k.log"),
                loghub.resolve("Spark/Spark_2k.log"), loghub.resolve("Linux/Linux_2k.log"));
        List<byte[]> lines = new ArrayList<>();
        for (Path f : files) {
            for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
                if (!line.isEmpty()) { // an empty record has no patch to wait for
                    lines.add(line.getBytes(StandardCharsets.ISO_8859_1));
                }
            }
        }
        double bareKbs = bareOperatorKbs(files);
        Path work = FaultWorkDirs.create("latency-bench");
        List<String> rows = new ArrayList<>();
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(work.resolve("kafka"))) {
            for (int checkpointMs : CHECKPOINT_MS) {
                rows.addAll(runJob(broker, work, checkpointMs, lines, bareKbs));
            }
        }
        String table = "`blt run --segmentation record --stage patch` end to end (" + LocalDate.now() + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, broker, job and this client each in its own JVM; "
                + KEYS + " keys, Loghub lines of HDFS, OpenSSH, Spark and Linux; bare patching path "
                + String.format("%.1f KB/s", bareKbs) + ")\n\n"
                + "| checkpoint interval | offered load | KB/s | records | p50 latency | p99 latency | max |\n"
                + "|---|---|---|---|---|---|---|\n" + String.join("\n", rows) + "\n";
        Files.writeString(Path.of("target", "latency-bench.md"), table);
        System.out.println(table);
    }

    /** `blt bench`'s keyed-records row on the same files and keys: the operator without Kafka or Flink. */
    private static double bareOperatorKbs(List<Path> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        List<String> args = new ArrayList<>(List.of("bench", "--no-blt", "--no-key-scaling", "--repeat", "2",
                "--keys", String.valueOf(KEYS), "--max-bytes", "420000"));
        files.forEach(f -> args.add(f.toString()));
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertTrue(BltMain.commandLine().execute(args.toArray(String[]::new)) == 0, "blt bench failed");
        } finally {
            System.setOut(saved);
        }
        Matcher m = Pattern.compile("\\| patching: records one at a time over " + KEYS + " keys[^|]*\\| ([0-9.]+) \\|")
                .matcher(out.toString(StandardCharsets.UTF_8));
        assertTrue(m.find(), out.toString(StandardCharsets.UTF_8));
        return Double.parseDouble(m.group(1));
    }

    private static List<String> runJob(KafkaBrokerProcess broker, Path work, int checkpointMs, List<byte[]> lines,
                                       double bareKbs) throws Exception {
        String prefix = "latency-" + checkpointMs;
        broker.createTopic(prefix + ".in", 2);
        broker.createTopic(prefix + ".patches", 2);
        broker.createTopic(prefix + ".dlq", 1);
        JavaProcess job = BltRun.local(prefix + "-job", work, List.of("-Xmx1g"), List.of(
                "--bootstrap-servers", broker.bootstrapServers(), "--input-topic", prefix + ".in",
                "--patches-topic", prefix + ".patches", "--dlq-topic", prefix + ".dlq", "--group-id", prefix,
                "--transactional-id-prefix", prefix, "--stage", "patch", "--segmentation", "record",
                "--checkpoint-interval-ms", String.valueOf(checkpointMs),
                "--checkpoint-dir", work.resolve(prefix + "-ck").toUri().toString(), "--resume", "none"));
        List<String> rows = new ArrayList<>();
        try (Traffic traffic = new Traffic(broker, prefix, job)) {
            // Warm-up: the job is up and has patched a record once the first record comes back.
            traffic.sendPaced(lines.subList(0, KEYS), 0);
            traffic.awaitAll();
            long started = System.nanoTime();
            long bytes = traffic.sendPaced(lines.subList(KEYS, KEYS + BACKLOG_LINES), 0);
            traffic.awaitAll();
            double sustained = bytes / 1e3 / ((System.nanoTime() - started) / 1e9);
            rows.add(String.format("| %d ms | backlog (sustained) | %.1f (%.0f%% of the bare path) | %d | | | |",
                    checkpointMs, sustained, 100 * sustained / bareKbs, BACKLOG_LINES));
            int from = KEYS + BACKLOG_LINES;
            for (double load : LOADS) {
                double bytesPerSecond = load * sustained * 1e3;
                double meanLine = (double) bytes / BACKLOG_LINES;
                int count = (int) Math.min(lines.size() - from, LOAD_SECONDS.toSeconds() * bytesPerSecond / meanLine);
                traffic.clearLatencies();
                long t0 = System.nanoTime();
                long sent = traffic.sendPaced(lines.subList(from, from + count), bytesPerSecond);
                traffic.awaitAll();
                double kbs = sent / 1e3 / ((System.nanoTime() - t0) / 1e9);
                long[] ms = traffic.latenciesMs();
                rows.add(String.format("| %d ms | %.0f%% (%.1f KB/s offered) | %.1f | %d | %d ms | %d ms | %d ms |", checkpointMs,
                        100 * load, bytesPerSecond / 1e3, kbs, count, percentile(ms, 50), percentile(ms, 99), ms[ms.length - 1]));
                from += count;
                if (from >= lines.size()) {
                    from = KEYS + BACKLOG_LINES; // reuse lines: each send is a new record of its key all the same
                }
            }
        } finally {
            job.kill();
        }
        rows.forEach(System.out::println);
        return rows;
    }

    private static long percentile(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /**
     * The producer and a read_committed consumer on its own thread. Records are dealt round-robin over
     * the keys; a record's latency is from its send to the consumer reading its last patch (the
     * patch with last_in_record, identified by key and record index).
     */
    private static final class Traffic implements AutoCloseable {
        private final String prefix;
        private final JavaProcess job;
        private final KafkaProducer<byte[], byte[]> producer;
        private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
        private final List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        private final long[] nextRecord = new long[KEYS];
        private final Thread reader;
        private volatile boolean running = true;
        private volatile Throwable readerFailure;
        private int nextKey;

        Traffic(KafkaBrokerProcess broker, String prefix, JavaProcess job) {
            this.prefix = prefix;
            this.job = job;
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            Properties c = new Properties();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            c.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "-reader");
            reader = new Thread(() -> read(c), prefix + "-reader");
            reader.start();
        }

        private void read(Properties config) {
            try (KafkaConsumer<byte[], byte[]> consumer =
                         new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(prefix + ".patches"));
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.nanoTime();
                        Patch patch = Patch.getDecoder().decode(r.value());
                        if (patch.getLastInRecord()) {
                            Long sent = sentAt.remove(patch.getStreamId() + "#" + patch.getRecordIndex());
                            if (sent != null) {
                                latencies.add((now - sent) / 1_000_000);
                            }
                        }
                    }
                }
            } catch (Throwable t) {
                readerFailure = t;
            }
        }

        /** Sends the lines at bytesPerSecond (0: as fast as the producer takes them); returns the bytes sent. */
        long sendPaced(List<byte[]> lines, double bytesPerSecond) {
            long start = System.nanoTime();
            long bytes = 0;
            for (byte[] line : lines) {
                if (bytesPerSecond > 0) {
                    long due = start + (long) (bytes / bytesPerSecond * 1e9);
                    LockSupport.parkNanos(due - System.nanoTime()); // pacing the offered load, not waiting on a result
                }
                int key = nextKey;
                nextKey = (nextKey + 1) % KEYS;
                String id = String.format("host-%03d", key);
                sentAt.put(id + "#" + nextRecord[key]++, System.nanoTime());
                producer.send(new ProducerRecord<>(prefix + ".in", id.getBytes(StandardCharsets.UTF_8), line));
                bytes += line.length;
            }
            producer.flush();
            return bytes;
        }

        /** Waits until every record sent has its last patch read. */
        void awaitAll() throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!sentAt.isEmpty()) {
                job.requireAlive();
                assertTrue(readerFailure == null, () -> "reader failed: " + readerFailure);
                assertTrue(System.nanoTime() < deadline, prefix + ": " + sentAt.size() + " records without output after " + WAIT);
                Thread.sleep(20); // poll the reader's progress
            }
        }

        void clearLatencies() {
            latencies.clear();
        }

        long[] latenciesMs() {
            synchronized (latencies) {
                long[] ms = latencies.stream().mapToLong(Long::longValue).toArray();
                Arrays.sort(ms);
                return ms;
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            reader.join(10_000);
            producer.close();
        }
    }
}
