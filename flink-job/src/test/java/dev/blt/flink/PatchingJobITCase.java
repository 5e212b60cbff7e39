package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.ByteChunk;
import dev.blt.avro.DeadLetter;
import dev.blt.avro.Patch;
import dev.blt.kafka.AvroBytes;
import dev.blt.kafka.InputFormat;
import dev.blt.kafka.TopicReader;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.Segmentation;
import dev.blt.testing.SampleText;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The whole patching job on a Flink MiniCluster against a real KRaft broker: patches read back
 * with read_committed equal the offline patches of each stream, however the streams were cut into
 * records, and bad records land in the dead-letter topic while the job keeps going.
 */
class PatchingJobITCase extends KafkaJobTestBase {

    @Test
    void streamPatchesEqualOfflinePatchesUnderAnyChunking() throws Exception {
        String prefix = "stream-job";
        createTopics(prefix);
        Random random = new Random(5);
        Map<String, byte[]> streams = new TreeMap<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<byte[]> samples = SampleText.streams();
        for (int key = 0; key < 6; key++) {
            String id = "stream-" + key;
            byte[] data = samples.get(key % samples.size());
            streams.put(id, data);
            for (byte[] chunk : SampleText.chunk(data, key == 0 ? 1 : 1 + random.nextInt(120), random)) {
                records.add(new ProducerRecord<>(prefix + ".in", id.getBytes(StandardCharsets.UTF_8), chunk));
            }
        }
        produce(records);

        runJob(prefix, InputFormat.RAW, Segmentation.STREAM, new BundleSettings(97, 20, 0));

        Map<String, List<Patch>> byStream = readPatches(prefix);
        OfflinePatcher offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        assertEquals(streams.keySet(), byStream.keySet());
        for (Map.Entry<String, byte[]> e : streams.entrySet()) {
            List<ClosedPatch> expected = offline.patchStream(List.of(e.getValue()));
            assertSame(e.getKey(), expected, byStream.get(e.getKey()));
        }
        assertTrue(TopicReader.readCommitted(broker.bootstrapServers(), prefix + ".dlq", Duration.ofSeconds(30)).isEmpty());
    }

    @Test
    void garbageGoesToTheDeadLetterTopicAndGoodStreamsArePatched() throws Exception {
        String prefix = "garbage-job";
        createTopics(prefix);
        Random random = new Random(9);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, byte[]> streams = new TreeMap<>();
        List<byte[]> garbage = new ArrayList<>();
        List<byte[]> samples = SampleText.streams();
        for (int key = 0; key < 3; key++) {
            String id = "good-" + key;
            streams.put(id, samples.get(key));
            long seq = 0;
            for (byte[] chunk : SampleText.chunk(samples.get(key), 64, random)) {
                ByteChunk c = ByteChunk.newBuilder().setStreamId(id).setSequence(seq++)
                        .setPayload(ByteBuffer.wrap(chunk)).setEventTimeMs(null).build();
                records.add(new ProducerRecord<>(prefix + ".in", id.getBytes(StandardCharsets.UTF_8), AvroBytes.encode(c)));
                if (seq % 5 == 0) {
                    byte[] junk = new byte[1 + random.nextInt(40)];
                    random.nextBytes(junk);
                    garbage.add(junk);
                    records.add(new ProducerRecord<>(prefix + ".in", id.getBytes(StandardCharsets.UTF_8), junk));
                }
            }
        }
        byte[] truncated = java.util.Arrays.copyOf(records.get(0).value(), 12);
        garbage.add(truncated);
        records.add(new ProducerRecord<>(prefix + ".in", "good-0".getBytes(StandardCharsets.UTF_8), truncated));
        records.add(new ProducerRecord<>(prefix + ".in", "tomb".getBytes(StandardCharsets.UTF_8), null));
        // A replayed chunk (same sequence again) must not be patched twice.
        ProducerRecord<byte[], byte[]> replay = records.get(1);
        records.add(replay);
        produce(records);

        runJob(prefix, InputFormat.AVRO, Segmentation.STREAM, new BundleSettings(200, 20, 0));

        List<DeadLetter> dead = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(broker.bootstrapServers(), prefix + ".dlq",
                Duration.ofSeconds(30))) {
            dead.add(DeadLetter.getDecoder().decode(r.value()));
        }
        // every garbage record, the tombstone and the replay: each with a reason and its bytes
        assertEquals(garbage.size() + 2, dead.size(), "dead letters: " + dead);
        for (byte[] g : garbage) {
            assertTrue(dead.stream().anyMatch(d -> d.getOriginalValue() != null
                    && ByteBuffer.wrap(g).equals(d.getOriginalValue())), "garbage record missing from the DLQ");
        }
        assertTrue(dead.stream().anyMatch(d -> d.getReason().contains("tombstone")));
        assertTrue(dead.stream().anyMatch(d -> d.getReason().contains("is not after the last accepted sequence")));
        assertTrue(dead.stream().allMatch(d -> d.getTopic().equals(prefix + ".in") && d.getOffset() >= 0));

        Map<String, List<Patch>> byStream = readPatches(prefix);
        OfflinePatcher offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        assertEquals(streams.keySet(), byStream.keySet());
        for (Map.Entry<String, byte[]> e : streams.entrySet()) {
            assertSame(e.getKey(), offline.patchStream(List.of(e.getValue())), byStream.get(e.getKey()));
        }
    }

    private void runJob(String prefix, InputFormat format, Segmentation segmentation, BundleSettings bundle)
            throws Exception {
        runJob(prefix, "--input-format", format.name(), "--stage", "patch", "--segmentation", segmentation.name(),
                "--bundle-max-bytes", String.valueOf(bundle.maxBytes()),
                "--bundle-max-delay-ms", String.valueOf(bundle.maxDelayMs()));
    }

    private Map<String, List<Patch>> readPatches(String prefix) throws Exception {
        Map<String, List<Patch>> byStream = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(broker.bootstrapServers(), prefix + ".patches",
                Duration.ofSeconds(30))) {
            Patch p = Patch.getDecoder().decode(r.value());
            assertEquals(p.getStreamId(), new String(r.key(), StandardCharsets.UTF_8), "records are keyed by stream id");
            byStream.computeIfAbsent(p.getStreamId(), k -> new ArrayList<>()).add(p);
        }
        return byStream;
    }

    private static void assertSame(String stream, List<ClosedPatch> expected, List<Patch> actual) {
        assertEquals(expected.size(), actual.size(), stream + ": patch count (exactly once: no loss, no duplicates)");
        for (int i = 0; i < expected.size(); i++) {
            ClosedPatch e = expected.get(i);
            Patch a = actual.get(i);
            assertEquals(i, a.getPatchIndex(), stream + ": patches in order");
            assertEquals(e.startOffset(), a.getStartOffset(), stream + ": start of patch " + i);
            assertEquals(ByteBuffer.wrap(e.bytes()), a.getBytes(), stream + ": bytes of patch " + i);
            assertEquals(e.reason().name(), a.getCloseReason().name(), stream + ": close reason of patch " + i);
            for (int j = 0; j < e.length(); j++) {
                assertEquals(e.entropies()[j], a.getEntropies().get(j), 1e-4, stream + ": entropy");
            }
            assertEquals(model.modelId(), a.getModelId());
        }
    }
}
