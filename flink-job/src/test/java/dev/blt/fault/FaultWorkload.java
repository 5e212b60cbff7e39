package dev.blt.fault;

import dev.blt.kafka.ByteClients;
import dev.blt.patching.Segmentation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The input of one fault scenario: several keys, each a stream of log lines made from the bundled
 * sample logs with their digits re-randomised (so no two streams are alike), cut into Kafka records
 * at random (stream segmentation) or one line per record (record segmentation). Deterministic for a
 * seed, so a failed run can be repeated.
 */
final class FaultWorkload {

    private static final int SLICES = 20;
    private static final Duration GATE_TIMEOUT = Duration.ofMinutes(20);

    private final Segmentation segmentation;
    /** Per stream id, its records in order. */
    private final Map<String, List<byte[]>> records = new LinkedHashMap<>();

    private FaultWorkload(Segmentation segmentation) {
        this.segmentation = segmentation;
    }

    static FaultWorkload generate(Segmentation segmentation, int streams, int bytesPerStream, long seed) {
        List<String> pool = sampleLines();
        FaultWorkload workload = new FaultWorkload(segmentation);
        for (int s = 0; s < streams; s++) {
            Random random = new Random(seed * 31 + s);
            List<byte[]> lines = new ArrayList<>();
            int bytes = 0;
            while (bytes < bytesPerStream) {
                byte[] line = mutateDigits(pool.get(random.nextInt(pool.size())), random).getBytes(StandardCharsets.UTF_8);
                lines.add(line);
                bytes += line.length + 1;
            }
            workload.records.put("stream-" + s, segmentation == Segmentation.RECORD ? lines : chunks(lines, random));
        }
        return workload;
    }

    /** The records of a, then those of b, per stream: b continues a's streams. */
    static FaultWorkload concat(FaultWorkload a, FaultWorkload b) {
        if (a.segmentation != b.segmentation) {
            throw new IllegalArgumentException("workloads of different segmentations");
        }
        FaultWorkload out = new FaultWorkload(a.segmentation);
        a.records.forEach((id, rs) -> out.records.put(id, new ArrayList<>(rs)));
        b.records.forEach((id, rs) -> out.records.computeIfAbsent(id, k -> new ArrayList<>()).addAll(rs));
        return out;
    }

    /** The same records under other stream ids (PREFIX + the id): streams that have never been seen. */
    FaultWorkload renamed(String prefix) {
        FaultWorkload out = new FaultWorkload(segmentation);
        records.forEach((id, rs) -> out.records.put(prefix + id, rs));
        return out;
    }

    Segmentation segmentation() {
        return segmentation;
    }

    /** Per stream id, its records in order. */
    Map<String, List<byte[]>> records() {
        return records;
    }

    /** Per stream id, all its bytes in one piece (stream segmentation's view). */
    Map<String, byte[]> streams() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        records.forEach((id, rs) -> {
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            rs.forEach(joined::writeBytes);
            out.put(id, joined.toByteArray());
        });
        return out;
    }

    long totalBytes() {
        return records.values().stream().flatMap(List::stream).mapToLong(r -> r.length).sum();
    }

    long totalRecords() {
        return records.values().stream().mapToLong(List::size).sum();
    }

    /** Produces every record, keyed by stream id, idempotently, and waits until all are acknowledged. */
    void produce(String bootstrapServers, String topic) {
        produce(bootstrapServers, topic, Duration.ZERO);
    }

    /**
     * Produces in a background thread, spread evenly over {@code spread}, so that the job is still
     * reading when the faults come; the last of the slices waits for {@code beforeLastSlice} as
     * well, so that input still flows however slowly the job progresses until then. The future
     * completes once every record is acknowledged.
     */
    CompletableFuture<Void> produceInBackground(String bootstrapServers, String topic, Duration spread,
                                                CompletableFuture<?> beforeLastSlice) {
        return CompletableFuture.runAsync(() -> produce(bootstrapServers, topic, spread, beforeLastSlice));
    }

    private void produce(String bootstrapServers, String topic, Duration spread) {
        produce(bootstrapServers, topic, spread, CompletableFuture.completedFuture(null));
    }

    private void produce(String bootstrapServers, String topic, Duration spread, CompletableFuture<?> beforeLastSlice) {
        try (KafkaProducer<byte[], byte[]> producer = ByteClients.idempotentProducer(bootstrapServers)) {
            // Round-robin over the streams, SLICES records at a time, so every stream advances together.
            long total = totalRecords();
            long pauseMillis = spread.toMillis() / SLICES;
            long sent = 0;
            int slice = 1;
            int[] next = new int[records.size()];
            List<String> ids = new ArrayList<>(records.keySet());
            while (sent < total) {
                if (slice == SLICES) {
                    awaitGate(beforeLastSlice);
                }
                for (int s = 0; s < ids.size(); s++) {
                    List<byte[]> rs = records.get(ids.get(s));
                    long until = (long) Math.ceil((double) rs.size() * slice / SLICES);
                    for (; next[s] < until; next[s]++) {
                        producer.send(new ProducerRecord<>(topic, ids.get(s).getBytes(StandardCharsets.UTF_8), rs.get(next[s])));
                        sent++;
                    }
                }
                producer.flush();
                slice++;
                if (sent < total && pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing", e);
        }
    }

    private static void awaitGate(CompletableFuture<?> gate) throws InterruptedException {
        try {
            gate.get(GATE_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // The scenario failed or hung: produce the rest, so that its outcome is still checked.
        }
    }

    /** Stream segmentation: the lines, newline-terminated, cut into records of 1..256 bytes. */
    private static List<byte[]> chunks(List<byte[]> lines, Random random) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] line : lines) {
            all.writeBytes(line);
            all.write('\n');
        }
        byte[] data = all.toByteArray();
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < data.length; ) {
            int n = Math.min(data.length - i, 1 + random.nextInt(256));
            out.add(Arrays.copyOfRange(data, i, i + n));
            i += n;
        }
        return out;
    }

    private static String mutateDigits(String line, Random random) {
        char[] chars = line.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            if (Character.isDigit(chars[i]) && random.nextInt(3) == 0) {
                chars[i] = (char) ('0' + random.nextInt(10));
            }
        }
        return new String(chars);
    }

    private static List<String> sampleLines() {
        List<String> lines = new ArrayList<>();
        for (String resource : new String[] {"/samples/apache-access.log", "/samples/app-services.log"}) {
            try (InputStream in = FaultWorkload.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("missing test resource " + resource);
                }
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank()) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }
}
