package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.Patch;
import dev.blt.avro.PatchEmbedding;
import dev.blt.avro.Prediction;
import dev.blt.avro.RecordScore;
import dev.blt.bltstage.RecentRecords;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.bltstage.Predictions;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.RecordContext;
import dev.blt.testing.RecordVectors;
import dev.blt.testing.SampleText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The whole job, patcher and BLT stage, on a MiniCluster against a real broker: all four output
 * topics are written exactly once and equal offline runs of the same core code.
 */
class BltJobITCase extends KafkaJobTestBase {

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(RecordContext.class)
    void recordSegmentationWritesAllFourTopicsMatchingOfflineRuns(RecordContext context) throws Exception {
        String prefix = "blt-records-" + context.name().toLowerCase();
        createTopics(prefix);
        Map<String, List<byte[]>> recordsByStream = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<byte[]> lines = SampleText.lines();
        for (int key = 0; key < 3; key++) {
            String id = "log-" + key;
            List<byte[]> mine = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                byte[] line = lines.get((i + key) % lines.size());
                if (line.length == 0) {
                    continue; // an empty record has no patches, hence no outputs to compare
                }
                mine.add(line);
                records.add(new ProducerRecord<>(prefix + ".in", id.getBytes(StandardCharsets.UTF_8), line));
            }
            recordsByStream.put(id, mine);
        }
        produce(records);
        runJob(prefix, "--segmentation", "record", "--record-context", context.name().toLowerCase(),
                "--bundle-max-bytes", "150", "--bundle-max-delay-ms", "20");

        List<Patch> patches = read(prefix + ".patches", b -> decode(Patch.getDecoder(), b));
        List<PatchEmbedding> embeddings = read(prefix + ".embeddings", b -> decode(PatchEmbedding.getDecoder(), b));
        List<Prediction> predictions = read(prefix + ".predictions", b -> decode(Prediction.getDecoder(), b));
        List<RecordScore> scores = read(prefix + ".scores", b -> decode(RecordScore.getDecoder(), b));

        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        int expectedPatches = 0;
        for (Map.Entry<String, List<byte[]>> e : recordsByStream.entrySet()) {
            List<List<ClosedPatch>> offline = patcher.patchRecords(e.getValue(), context);
            List<List<byte[]>> docs = new ArrayList<>();
            offline.forEach(r -> docs.add(r.stream().map(ClosedPatch::bytes).toList()));
            List<List<PatchOutputs>> encoded = context == RecordContext.CARRY
                    ? OfflineBltStage.encodeRecordsInContext(model.encoderSettings(), model.bltScorer(), docs)
                    : OfflineBltStage.encodeDocuments(model.encoderSettings(), model.bltScorer(), docs);
            RecentRecords recent = new RecentRecords(BltStageOperator.DEFAULT_NOVELTY_WINDOW);
            for (int r = 0; r < offline.size(); r++) {
                double bits = 0;
                long bytes = 0;
                for (int p = 0; p < offline.get(r).size(); p++) {
                    ClosedPatch cp = offline.get(r).get(p);
                    PatchOutputs ep = encoded.get(r).get(p);
                    expectedPatches++;
                    PatchEmbedding emb = find(embeddings, e.getKey(), r, p, PatchEmbedding::getStreamId,
                            PatchEmbedding::getRecordIndex, PatchEmbedding::getPatchIndex);
                    assertEquals(cp.length(), emb.getLength());
                    for (int i = 0; i < ep.embedding().length; i++) {
                        assertEquals(ep.embedding()[i], emb.getEmbedding().get(i), 1e-4 * Math.max(1, Math.abs(ep.embedding()[i])));
                    }
                    Prediction pred = find(predictions, e.getKey(), r, p, Prediction::getStreamId,
                            Prediction::getRecordIndex, Prediction::getPatchIndex);
                    assertEquals(ep.bitsPerByte(), pred.getBltBitsPerByte(), 1e-4);
                    assertEquals(Predictions.bitsPerByte(cp.logprobs()), pred.getEntropyModelBitsPerByte(), 1e-4);
                    assertEquals(5, pred.getNextByteTopK().size());
                    assertEquals(Predictions.topK(ep.nextByteLogprobs(), 4, 1).get(0).value(),
                            pred.getNextByteTopK().get(0).getByteValue());
                    bits += ep.bitsPerByte() * cp.length();
                    bytes += cp.length();
                }
                final int record = r;
                RecordScore score = scores.stream().filter(s -> s.getStreamId().equals(e.getKey())
                        && s.getRecordIndex() == record).findFirst().orElse(null);
                assertNotNull(score, "record score of " + e.getKey() + "/" + r);
                assertEquals(bytes, score.getBytes());
                assertEquals(offline.get(r).size(), score.getPatches());
                assertEquals(bits / bytes, score.getMeanBitsPerByte(), 1e-4);
                assertTrue(score.getMaxSurpriseBitsPerByte() >= score.getMeanBitsPerByte() - 1e-4);
                // the record embedding and its novelty against the stream's earlier records, as offline
                float[] unit = RecordVectors.unitMean(encoded.get(r));
                assertEquals(unit.length, score.getEmbedding().size());
                for (int i = 0; i < unit.length; i++) {
                    assertEquals(unit[i], score.getEmbedding().get(i), 1e-4, "record embedding of " + e.getKey() + "/" + r);
                }
                double novelty = recent.novelty(unit);
                recent.add(unit);
                if (r == 0) {
                    assertNull(score.getNovelty(), "the stream's first record");
                } else {
                    assertEquals(novelty, score.getNovelty(), 1e-3, "novelty of " + e.getKey() + "/" + r);
                }
            }
            assertEquals(offline.stream().mapToInt(List::size).sum(),
                    patches.stream().filter(p -> p.getStreamId().equals(e.getKey())).count());
        }
        // exactly once: nothing lost, nothing duplicated
        assertEquals(expectedPatches, patches.size());
        assertEquals(expectedPatches, embeddings.size());
        assertEquals(expectedPatches, predictions.size());
        assertEquals(recordsByStream.values().stream().mapToInt(List::size).sum(), scores.size());
    }

    @Test
    void streamSegmentationEmbeddingsDoNotDependOnChunkingBundlesOrParallelism() throws Exception {
        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        byte[] stream = SampleText.streams().get(0);
        List<byte[]> offlinePatches = patcher.patchStream(List.of(stream)).stream().map(ClosedPatch::bytes).toList();
        List<PatchOutputs> offline = OfflineBltStage.encodeDocument(model.encoderSettings(), model.bltScorer(),
                offlinePatches);
        Random random = new Random(3);
        String[][] runs = {{"1", "40", "2"}, {"64", "5000", "1"}};
        for (String[] run : runs) {
            String prefix = "blt-stream-" + run[0];
            createTopics(prefix);
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (byte[] chunk : SampleText.chunk(stream, Integer.parseInt(run[0]), random)) {
                records.add(new ProducerRecord<>(prefix + ".in", "s".getBytes(StandardCharsets.UTF_8), chunk));
            }
            produce(records);
            runJob(prefix, "--segmentation", "stream", "--bundle-max-bytes", run[1], "--parallelism", run[2],
                    "--record-scores-topic", "none");
            List<PatchEmbedding> embeddings = read(prefix + ".embeddings", b -> decode(PatchEmbedding.getDecoder(), b));
            assertEquals(offline.size(), embeddings.size(), prefix);
            for (int p = 0; p < offline.size(); p++) {
                PatchEmbedding emb = embeddings.get(p);
                assertEquals(p, emb.getPatchIndex());
                for (int i = 0; i < offline.get(p).embedding().length; i++) {
                    float expected = offline.get(p).embedding()[i];
                    assertEquals(expected, emb.getEmbedding().get(i), 1e-4 * Math.max(1, Math.abs(expected)), prefix);
                }
            }
        }
    }

    private static <T> T find(List<T> items, String stream, long record, long patch,
                              java.util.function.Function<T, String> streamOf,
                              java.util.function.Function<T, Long> recordOf, java.util.function.Function<T, Long> patchOf) {
        return items.stream().filter(x -> streamOf.apply(x).equals(stream) && recordOf.apply(x) == record
                && patchOf.apply(x) == patch).findFirst()
                .orElseThrow(() -> new AssertionError("missing output " + stream + "/" + record + "/" + patch));
    }
}
