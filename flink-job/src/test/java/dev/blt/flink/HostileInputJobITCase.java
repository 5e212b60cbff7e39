package dev.blt.flink;

import dev.blt.kafka.ByteClients;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.ByteChunk;
import dev.blt.avro.DeadLetter;
import dev.blt.avro.Patch;
import dev.blt.avro.RecordScore;
import dev.blt.kafka.AvroBytes;
import dev.blt.kafka.testing.Producing;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.SampleText;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Each record that once stopped the job (or vanished, or was patched twice) is sent to a running
 * job beside good streams: every bad record lands in the dead-letter topic with its reason, and the
 * good streams' patches equal the offline patcher's, exactly once.
 */
class HostileInputJobITCase extends KafkaJobTestBase {

    private static final int MB = 1024 * 1024;

    @Test
    void rawStreamJobDeadLettersEveryPoisonRecordAndPatchesTheGoodStreamsExactly() throws Exception {
        String prefix = "hostile-raw";
        createTopics(prefix, 8 * MB);
        Random random = new Random(17);
        byte[] good = SampleText.streams().get(0);
        byte[] large = repeat(SampleText.streams().get(1), 70 * 1024); // over one 64 KiB slice, under the limit
        byte[] fiveMb = new byte[5 * MB];
        random.nextBytes(fiveMb);
        byte[] notUtf8Key = {(byte) 0xC3, (byte) 0x28};
        byte[] invalidValue = Arrays.copyOf(fiveMb, 900 * 1024); // under the size limit, over a dead letter's
        byte[] hugeKey = new byte[1100 * 1024];
        Arrays.fill(hugeKey, (byte) 'k');

        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<byte[]> chunks = SampleText.chunk(good, 90, random);
        for (int i = 0; i < chunks.size(); i++) {
            records.add(record(prefix, "good", chunks.get(i)));
            switch (i) {
                case 1 -> records.add(new ProducerRecord<>(prefix + ".in", notUtf8Key, invalidValue));
                case 2 -> records.add(new ProducerRecord<>(prefix + ".in", hugeKey, "x".getBytes(StandardCharsets.UTF_8)));
                case 3 -> records.add(record(prefix, "big", fiveMb));
                case 4 -> records.add(record(prefix, "good", new byte[0]));
                case 5 -> records.add(record(prefix, "good", null));
                case 6 -> records.add(record(prefix, "large", large));
                default -> { }
            }
        }
        produceLarge(records);

        // The patcher alone: the poison records never reach the BLT stage (StreamingJobITCase covers it), and
        // embedding the 70 KB stream would double this test's time on 2 cores.
        runJob(prefix, "--input-format", "raw", "--segmentation", "stream", "--stage", "patch");

        // Waits, as a reader must: the job has ended, but a commit can still be landing on a busy machine.
        List<DeadLetter> dead = awaitCommitted(prefix + ".dlq", b -> decode(DeadLetter.getDecoder(), b),
                letters -> letters.size() >= 5, Duration.ofSeconds(60));
        assertEquals(5, dead.size(), "dead letters: " + reasons(dead));
        DeadLetter invalid = only(dead, "is not valid UTF-8");
        assertTrue(invalid.getTruncated());
        assertEquals(invalidValue.length, invalid.getOriginalValueLength());
        assertEquals(sha256(invalidValue), invalid.getOriginalValueSha256());
        assertEquals(DeadLetters.MAX_VALUE_BYTES, invalid.getOriginalValue().remaining());
        assertTrue(only(dead, "stream id of " + hugeKey.length + " bytes").getTruncated());
        assertEquals(fiveMb.length, only(dead, "larger than the maximum record size of 1048576").getOriginalValueLength());
        only(dead, "empty record");
        only(dead, "tombstone");

        Map<String, List<Patch>> patches = byStream(read(prefix + ".patches", b -> decode(Patch.getDecoder(), b)));
        assertEquals(List.of("good", "large"), patches.keySet().stream().sorted().toList());
        OfflinePatcher offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        assertSamePatches("good", offline.patchStream(List.of(good)), patches.get("good"));
        assertSamePatches("large", offline.patchStream(List.of(large)), patches.get("large"));
    }

    @Test
    void avroRecordJobHonoursSequencesAndSessionsAndDeadLettersLies() throws Exception {
        String prefix = "hostile-avro";
        createTopics(prefix, MB);
        List<byte[]> sample = SampleText.lines().stream().filter(l -> l.length > 0).toList();
        List<byte[]> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] line = sample.get(i % sample.size()).clone();
            line[0] = (byte) ('a' + i); // distinct lines
            lines.add(line);
        }
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<byte[]> accepted = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // first producer session
            records.add(chunk(prefix, "lines", i, "session-1", lines.get(i)));
            accepted.add(lines.get(i));
        }
        records.add(chunk(prefix, "lines", 2, "session-1", lines.get(2))); // a replay: not patched twice
        for (int i = 6; i < 12; i++) { // the producer restarted: a new session starts again at 0
            records.add(chunk(prefix, "lines", i - 6, "session-2", lines.get(i)));
            accepted.add(lines.get(i));
        }
        records.add(chunk(prefix, "legacy", 0, null, lines.get(0)));
        records.add(chunk(prefix, "legacy", 1, null, lines.get(1)));
        records.add(chunk(prefix, "legacy", 0, null, lines.get(2))); // restart without a session: a replay
        records.add(chunk(prefix, "lines", 6, "session-2", new byte[0]));
        byte[] claim = hugePayloadClaim();
        records.add(new ProducerRecord<>(prefix + ".in", "lines".getBytes(StandardCharsets.UTF_8), claim));
        produceLarge(records);

        runJob(prefix, "--input-format", "avro", "--segmentation", "record");

        List<DeadLetter> dead = read(prefix + ".dlq", b -> decode(DeadLetter.getDecoder(), b));
        assertEquals(4, dead.size(), "dead letters: " + reasons(dead));
        assertEquals(2, dead.stream().filter(d -> d.getReason().contains("is not after the last accepted sequence")).count());
        only(dead, "empty record");
        assertEquals(ByteBuffer.wrap(claim), only(dead, "payload claims 1500000000 bytes").getOriginalValue());

        Map<String, List<Patch>> patches = byStream(read(prefix + ".patches", b -> decode(Patch.getDecoder(), b)));
        OfflinePatcher offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        List<List<ClosedPatch>> expected = offline.patchRecordsInContext(accepted); // the default record context
        List<Patch> actual = patches.get("lines");
        actual.sort(Comparator.comparing(Patch::getRecordIndex).thenComparing(Patch::getPatchIndex));
        int next = 0;
        for (int r = 0; r < expected.size(); r++) {
            for (ClosedPatch e : expected.get(r)) {
                Patch a = actual.get(next++);
                assertEquals(r, a.getRecordIndex(), "record indices count accepted records only");
                assertEquals(ByteBuffer.wrap(e.bytes()), a.getBytes(), "record " + r + " patch " + e.patchIndex());
            }
        }
        assertEquals(next, actual.size(), "exactly once: no patch lost or repeated");
        List<RecordScore> scores = read(prefix + ".scores", b -> decode(RecordScore.getDecoder(), b));
        assertEquals(accepted.size(), scores.stream().filter(s -> s.getStreamId().equals("lines")).count());
        assertEquals(2, scores.stream().filter(s -> s.getStreamId().equals("legacy")).count());
    }

    /** The job's topics, the input accepting records up to maxMessageBytes. */
    private static void createTopics(String prefix, int maxMessageBytes) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(prefix + ".in", 2, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(maxMessageBytes + 64 * 1024))))).all().get();
        }
        for (String t : new String[] {".patches", ".embeddings", ".predictions", ".scores"}) {
            broker.createTopic(prefix + t, 2);
        }
        broker.createTopic(prefix + ".dlq", 1);
    }

    private static void produceLarge(List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> producer = ByteClients.idempotentProducer(broker.bootstrapServers(),
                Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * MB)))) {
            Producing.sendAll(producer, records);
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String prefix, String key, byte[] value) {
        return new ProducerRecord<>(prefix + ".in", key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static ProducerRecord<byte[], byte[]> chunk(String prefix, String stream, long sequence, String session,
                                                        byte[] payload) {
        ByteChunk c = ByteChunk.newBuilder().setStreamId(stream).setSequence(sequence).setPayload(ByteBuffer.wrap(payload))
                .setEventTimeMs(null).setProducerSession(session).build();
        return record(prefix, stream, AvroBytes.encode(c));
    }

    /** A ByteChunk header, stream id "s", sequence 0, and a payload length of 1.5 GB, with no payload. */
    private static byte[] hugePayloadClaim() {
        byte[] header = Arrays.copyOf(AvroBytes.encode(ByteChunk.newBuilder().setStreamId("s").setSequence(0)
                .setPayload(ByteBuffer.allocate(0)).setEventTimeMs(null).build()), 13);
        java.io.ByteArrayOutputStream claim = new java.io.ByteArrayOutputStream();
        claim.writeBytes(header);
        long z = 1_500_000_000L << 1; // zig-zag of a positive long, then a varint
        while ((z & ~0x7fL) != 0) {
            claim.write((int) ((z & 0x7f) | 0x80));
            z >>>= 7;
        }
        claim.write((int) z);
        return claim.toByteArray();
    }

    private static byte[] repeat(byte[] unit, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = unit[i % unit.length];
        }
        return out;
    }

    private static DeadLetter only(List<DeadLetter> dead, String reason) {
        List<DeadLetter> matching = dead.stream().filter(d -> d.getReason().contains(reason)).toList();
        assertEquals(1, matching.size(), "one dead letter for '" + reason + "' among " + reasons(dead));
        return matching.get(0);
    }

    private static List<String> reasons(List<DeadLetter> dead) {
        return dead.stream().map(DeadLetter::getReason).toList();
    }

    private static Map<String, List<Patch>> byStream(List<Patch> patches) {
        return patches.stream().collect(Collectors.groupingBy(Patch::getStreamId, Collectors.toCollection(ArrayList::new)));
    }

    private static void assertSamePatches(String stream, List<ClosedPatch> expected, List<Patch> actual) {
        actual.sort(Comparator.comparing(Patch::getPatchIndex));
        assertEquals(expected.size(), actual.size(), stream + ": patch count (exactly once)");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(i, actual.get(i).getPatchIndex(), stream + ": patch indices");
            assertEquals(expected.get(i).startOffset(), actual.get(i).getStartOffset(), stream + ": start of patch " + i);
            assertEquals(ByteBuffer.wrap(expected.get(i).bytes()), actual.get(i).getBytes(), stream + ": patch " + i);
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
