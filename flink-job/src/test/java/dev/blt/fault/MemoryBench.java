package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A benchmark, not a test of correctness: the memory of `blt run` (its own JVM, a Kafka broker in
 * another) for one 5 MB record and for 100,000 keys, printed as a Markdown table and written to
 * {@code flink-job/target/memory-bench.md}. Run it with {@code bench/memory.sh} (its name matches
 * neither surefire's nor failsafe's patterns, so builds never run it). Each job runs under a fixed
 * -Xmx: that it finishes is the bound;
 * peak RSS, heap after a full GC and checkpoint size are measured.
 */
class MemoryBench {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryBench.class);
    private static final int MB = 1024 * 1024;
    private static final int KEYS = 100_000;
    private static final Duration WAIT = Duration.ofMinutes(15);

    @Test
    void memoryOfALargeRecordAndOfManyKeys() throws Exception {
        Path work = FaultWorkDirs.create("memory-bench");
        List<String> rows = new ArrayList<>();
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(work.resolve("kafka"))) {
            rows.add(largeRecord(broker, work));
            rows.addAll(manyKeys(broker, work));
        }
        String table = "Memory of `blt run --stage patch` (" + LocalDate.now() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version") + ")\n\n"
                + "| case | -Xmx | wall | peak RSS | heap after full GC | latest checkpoint |\n|---|---|---|---|---|---|\n"
                + String.join("\n", rows) + "\n";
        Files.writeString(Path.of("target", "memory-bench.md"), table);
        System.out.println(table);
    }

    /** One 5 MB log-like record, with --max-record-bytes raised to 8 MiB: patched in 64 KiB rounds. */
    private static String largeRecord(KafkaBrokerProcess broker, Path work) throws Exception {
        String prefix = "large";
        createTopics(broker, prefix, 9 * MB);
        byte[] record = logLike(5 * MB);
        String xmx = "-Xmx256m";
        JavaProcess job = startJob(broker, work, prefix, xmx, "--max-record-bytes", String.valueOf(8 * MB));
        try {
            long started = System.nanoTime();
            produce(broker, List.of(new ProducerRecord<>(prefix + ".in", "big".getBytes(StandardCharsets.UTF_8), record)));
            awaitConsumed(broker, job, prefix);
            long wallMs = (System.nanoTime() - started) / 1_000_000;
            return row("one 5 MB record (--max-record-bytes 8 MiB)", xmx, wallMs, job, work.resolve(prefix + "-ck"));
        } finally {
            job.kill();
        }
    }

    /** 100,000 keys with one 40-byte record each; then the state TTL expires them all. */
    private static List<String> manyKeys(KafkaBrokerProcess broker, Path work) throws Exception {
        String prefix = "keys";
        createTopics(broker, prefix, MB);
        String xmx = "-Xmx512m";
        JavaProcess job = startJob(broker, work, prefix, xmx, "--state-ttl", "60s");
        try {
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(KEYS);
            for (int k = 0; k < KEYS; k++) {
                String key = String.format("host-%06d", k);
                records.add(new ProducerRecord<>(prefix + ".in", key.getBytes(StandardCharsets.UTF_8),
                        String.format("GET /api/v1/items/%06d HTTP/1.1 200\n", k).getBytes(StandardCharsets.UTF_8)));
            }
            long started = System.nanoTime();
            produce(broker, records);
            awaitConsumed(broker, job, prefix);
            long wallMs = (System.nanoTime() - started) / 1_000_000;
            Path checkpoints = work.resolve(prefix + "-ck");
            String live = row(KEYS + " keys, 40 B each, all live", xmx, wallMs, job, checkpoints);
            long liveBytes = latestCheckpointBytes(checkpoints);
            // After the TTL every key is forgotten: the checkpoints shrink to the job's fixed part and
            // stay there (the same size three checkpoints running).
            long deadline = System.nanoTime() + WAIT.toNanos();
            List<Long> sizes = new ArrayList<>();
            while (sizes.size() < 3 || sizes.get(sizes.size() - 1) > liveBytes / 10
                    || !sizes.get(sizes.size() - 1).equals(sizes.get(sizes.size() - 3))) {
                job.requireAlive();
                assertTrue(System.nanoTime() < deadline, "state did not shrink to a floor after the TTL: " + sizes);
                long size = latestCheckpointBytes(checkpoints);
                if (sizes.isEmpty() || size != sizes.get(sizes.size() - 1)) {
                    sizes.add(size);
                } else if (size <= liveBytes / 10) {
                    sizes.add(size); // unchanged across checkpoints: counts towards the floor
                }
                Thread.sleep(5000); // one checkpoint interval: expiry runs on the job's processing-time timers
            }
            String expired = row(KEYS + " keys after --state-ttl 60s expired them", xmx,
                    (System.nanoTime() - started) / 1_000_000, job, checkpoints);
            return List.of(live, expired);
        } finally {
            job.kill();
        }
    }

    private static JavaProcess startJob(KafkaBrokerProcess broker, Path work, String prefix, String xmx, String... extra) {
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", broker.bootstrapServers(), "--input-topic", prefix + ".in",
                "--patches-topic", prefix + ".patches", "--dlq-topic", prefix + ".dlq", "--group-id", prefix,
                "--transactional-id-prefix", prefix, "--stage", "patch", "--checkpoint-interval-ms", "5000",
                "--checkpoint-dir", work.resolve(prefix + "-ck").toUri().toString(), "--resume", "none"));
        args.addAll(List.of(extra));
        return BltRun.local(prefix + "-job", work, List.of(xmx), args);
    }

    private static void createTopics(KafkaBrokerProcess broker, String prefix, int maxMessageBytes) throws Exception {
        try (Admin admin = Admin.create(adminProps(broker))) {
            admin.createTopics(List.of(new NewTopic(prefix + ".in", 1, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(maxMessageBytes))))).all().get();
        }
        broker.createTopic(prefix + ".patches", 1);
        broker.createTopic(prefix + ".dlq", 1);
    }

    private static void produce(KafkaBrokerProcess broker, List<ProducerRecord<byte[], byte[]>> records) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * MB));
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            records.forEach(producer::send);
            producer.flush();
        }
    }

    /** Waits until the job's committed offsets (written on checkpoints) reach the end of its input. */
    private static void awaitConsumed(KafkaBrokerProcess broker, JavaProcess job, String prefix) throws Exception {
        TopicPartition partition = new TopicPartition(prefix + ".in", 0);
        long deadline = System.nanoTime() + WAIT.toNanos();
        try (Admin admin = Admin.create(adminProps(broker))) {
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).all().get().get(partition).offset();
            while (true) {
                job.requireAlive();
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(prefix).partitionsToOffsetAndMetadata().get()
                        .get(partition);
                if (committed != null && committed.offset() >= end) {
                    return;
                }
                assertTrue(System.nanoTime() < deadline, prefix + ": input not consumed within " + WAIT);
                Thread.sleep(500); // poll: offsets are committed on checkpoints
            }
        }
    }

    private static String row(String what, String xmx, long wallMs, JavaProcess job, Path checkpoints) throws Exception {
        long peakRssKb = statusKb(job.pid(), "VmHWM");
        long heapKb = heapAfterFullGcKb(job.pid());
        long checkpoint = latestCheckpointBytes(checkpoints);
        String row = String.format("| %s | %s | %.0f s | %d MB | %d MB | %s (%s) |", what, xmx.substring("-Xmx".length()),
                wallMs / 1000.0, peakRssKb / 1024, heapKb / 1024, checkpoint >= 1e6 ? String.format("%.1f MB", checkpoint / 1e6)
                        : String.format("%.1f KB", checkpoint / 1e3),
                what.contains(String.valueOf(KEYS)) ? String.format("%.0f B per key", (double) checkpoint / KEYS) : "whole job");
        LOG.info(row);
        return row;
    }

    private static long statusKb(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException(field + " missing from /proc/" + pid + "/status");
    }

    /** Runs a full GC in the job's JVM (jcmd GC.run) and reads the heap in use after it (GC.heap_info). */
    private static long heapAfterFullGcKb(long pid) throws Exception {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher m = Pattern.compile("total \\d+K, used (\\d+)K").matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("no heap figure in jcmd GC.heap_info output:\n" + info);
        }
        return Long.parseLong(m.group(1));
    }

    private static String jcmd(long pid, String command) throws Exception {
        Process p = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + out);
        }
        return out;
    }

    /** Bytes of the newest completed checkpoint: its chk-N directory plus the shared files it may use. */
    private static long latestCheckpointBytes(Path checkpoints) throws IOException {
        Optional<Path> latest;
        try (Stream<Path> files = Files.walk(checkpoints, 3)) {
            latest = files.filter(p -> p.getFileName().toString().startsWith("chk-") && Files.exists(p.resolve("_metadata")))
                    .max(java.util.Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(4))));
        }
        if (latest.isEmpty()) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(latest.get())) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static Properties adminProps(KafkaBrokerProcess broker) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return props;
    }

    /** Log-like text: numbered access-log lines, cut to length. */
    private static byte[] logLike(int length) {
        StringBuilder text = new StringBuilder(length + 100);
        for (int i = 0; text.length() < length; i++) {
            text.append(String.format("10.0.%d.%d - - [29/Nov/2026:03:%02d:%02d +0000] \"GET /api/v1/items/%d HTTP/1.1\" %d %d%n",
                    i % 256, (i / 256) % 256, (i / 60) % 60, i % 60, i * 7919 % 100000, i % 17 == 0 ? 404 : 200, 200 + i % 5000));
        }
        return text.substring(0, length).getBytes(StandardCharsets.US_ASCII);
    }
}
