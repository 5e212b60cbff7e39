package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.model.LoadedModel;
import dev.blt.patching.CloseReason;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.RecordContext;
import dev.blt.patching.RecordPatcher;
import dev.blt.testing.RecordVectors;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Patches fed to per-record encoders as they close, records sliced across small batches, give
 * the outputs of encoding every record whole, and the per-record summary is the one the command
 * has always printed.
 */
class RecordEncodersIT {

    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = ModelFolders.load(ModelFolders.shipped());
    }

    record Out(long record, ClosedPatch patch, PatchOutputs encoded) {
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(RecordContext.class)
    void slicedRecordsEncodeAsWholeRecords(RecordContext context) {
        List<byte[]> records = new ArrayList<>(SampleText.lines());
        records.addAll(SampleText.streams());
        List<List<ClosedPatch>> patched = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchRecords(records, context);
        List<List<byte[]>> patchBytes = patched.stream().map(r -> r.stream().map(ClosedPatch::bytes).toList()).toList();
        List<List<PatchOutputs>> whole = context == RecordContext.CARRY
                ? OfflineBltStage.encodeRecordsInContext(model.encoderSettings(), model.bltScorer(), patchBytes)
                : OfflineBltStage.encodeDocuments(model.encoderSettings(), model.bltScorer(), patchBytes);

        for (int maxBytes : new int[] {64, 700, 65536}) {
            List<Out> outs = new ArrayList<>();
            List<Long> ended = new ArrayList<>();
            RecordEncoders encoders = new RecordEncoders(model.encoderSettings(), model.bltScorer(), context, 0,
                    model.manifest().tokens().byteOffset(), new RecordEncoders.Output() {
                        @Override
                        public void patch(long record, ClosedPatch patch, PatchOutputs encoded, byte[] continuation) {
                            assertEquals(null, continuation);
                            assertTrue(ended.isEmpty() || ended.get(ended.size() - 1) < record, "after its end");
                            outs.add(new Out(record, patch, encoded));
                        }

                        @Override
                        public void endRecord(long record) {
                            assertEquals(ended.size(), record, "records end in order");
                            ended.add(record);
                        }
                    });
            RecordPatcher patcher = new RecordPatcher(model.patcherSettings(), model.entropyScorer(), context,
                    CloseReason.END_OF_RECORD, 3, maxBytes, encoders);
            for (int r = 0; r < records.size(); r++) {
                patcher.add(r, records.get(r), true);
            }
            patcher.finish();

            assertEquals(records.size(), ended.size());
            int i = 0;
            for (int r = 0; r < records.size(); r++) {
                RecordSummary summary = new RecordSummary();
                for (int p = 0; p < whole.get(r).size(); p++, i++) {
                    Out out = outs.get(i);
                    String what = "batches of " + maxBytes + " bytes, record " + r + " patch " + p;
                    assertEquals(r, out.record(), what);
                    assertEquals(p, out.encoded().patchIndex(), what);
                    assertArrayEquals(patched.get(r).get(p).bytes(), out.patch().bytes(), what);
                    // within the BLT's float tolerance: a rolling BLT's rows round by their calls
                    assertClose(whole.get(r).get(p).embedding(), out.encoded().embedding(), what);
                    assertClose(whole.get(r).get(p).byteLogprobs(), out.encoded().byteLogprobs(), what);
                    assertClose(whole.get(r).get(p).nextByteLogprobs(), out.encoded().nextByteLogprobs(), what);
                    summary.add(out.encoded());
                }
                assertArrayEquals(RecordVectors.unitMean(whole.get(r)), summary.embedding(), 1e-4f, "embedding of record " + r);
            }
            assertEquals(outs.size(), i);
        }
    }

    @Test
    void summaryEmbeddingIsTheUnitMeanHoweverLongTheRecord() {
        java.util.Random random = new java.util.Random(4);
        for (int n : new int[] {0, 1, 7, 4096, 10_000}) {
            List<PatchOutputs> patches = new ArrayList<>();
            RecordSummary summary = new RecordSummary();
            long bytes = 0;
            double bits = 0;
            for (int p = 0; p < n; p++) {
                float[] embedding = new float[16];
                for (int i = 0; i < embedding.length; i++) {
                    embedding[i] = (float) random.nextGaussian();
                }
                float[] logprobs = new float[1 + random.nextInt(8)];
                for (int i = 0; i < logprobs.length; i++) {
                    logprobs[i] = -random.nextFloat() * 5;
                }
                PatchOutputs e = new PatchOutputs(p, embedding, logprobs, new float[260], null);
                patches.add(e);
                summary.add(e);
                bytes += logprobs.length;
                bits += e.bitsPerByte() * logprobs.length;
            }
            assertEquals(n, summary.patches());
            assertEquals(bytes, summary.bytes());
            assertEquals(bytes == 0 ? 0 : bits / bytes, summary.bitsPerByte());
            float[] embedding = summary.embedding();
            assertArrayEquals(RecordVectors.unitMean(patches), embedding, 1e-5f, n + " patches");
            double norm = 0;
            for (float x : embedding) {
                norm += x * x;
            }
            assertEquals(n == 0 ? 0 : 1, norm, 1e-5, n + " patches: unit length");
        }
    }


    /** Within 1e-4, relative or (near 0) absolute: the tolerance of the BLT's outputs (docs/DESIGN.md). */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }
}
