package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.GreedyContinuation;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.bltstage.Predictions;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.RecordVectors;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blt embed} end to end: its output is what the command printed when it patched and
 * encoded every record (or the whole stream) at once.
 */
class EmbedCommandIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = ModelFolders.load(ModelFolders.shipped());
    }

    private static OfflinePatcher patcher() {
        return new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
    }

    /** A few lines: CRLF and LF ends, an empty line, no final newline. */
    private static Path input(Path tmp) throws Exception {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<byte[]> lines = SampleText.lines();
        for (int i = 0; i < lines.size(); i++) {
            data.write(lines.get(i));
            if (i < lines.size() - 1) {
                data.write(i % 2 == 0 ? "\r\n".getBytes(StandardCharsets.US_ASCII) : new byte[] {'\n'});
            }
        }
        Path file = tmp.resolve("in.log");
        Files.write(file, data.toByteArray());
        return file;
    }

    @Test
    void perRecordOutputIsTheWholeRecordMean(@TempDir Path tmp) throws Exception {
        Path file = input(tmp);
        List<byte[]> records = InputFiles.lines(Files.readAllBytes(file));
        List<List<ClosedPatch>> patched = patcher().patchRecordsInContext(records); // the default record context
        List<List<PatchOutputs>> encoded = encodeInContext(patched);

        List<String> out = PatchCommandIT.run("embed", "--model", ModelFolders.shipped().toString(), "--per-record",
                file.toString()).lines().toList();
        assertEquals(records.size(), out.size());
        dev.blt.bltstage.RecentRecords recent = new dev.blt.bltstage.RecentRecords(
                dev.blt.flink.BltStageOperator.DEFAULT_NOVELTY_WINDOW);
        for (int r = 0; r < records.size(); r++) {
            JsonNode o = JSON.readTree(out.get(r));
            assertRecord(r, patched.get(r), encoded.get(r), o);
            // novelty against the earlier records' embeddings, as the job's RecordScore has it
            float[] embedding = RecordVectors.unitMean(encoded.get(r));
            double novelty = embedding.length == 0 ? Double.NaN : recent.novelty(embedding);
            if (embedding.length > 0) {
                recent.add(embedding);
            }
            if (Double.isNaN(novelty)) {
                assertTrue(o.get("novelty").isNull(), "record " + r + ": first, or empty");
            } else {
                assertEquals(novelty, o.get("novelty").asDouble(), 1e-4, "novelty of record " + r);
            }
        }
    }

    @Test
    void streamPerRecordIsOneRecord(@TempDir Path tmp) throws Exception {
        Path file = input(tmp);
        List<ClosedPatch> patched = patcher().patchStream(List.of(Files.readAllBytes(file)));
        List<PatchOutputs> encoded = encode(List.of(patched)).get(0);
        List<String> out = PatchCommandIT.run("embed", "--model", ModelFolders.shipped().toString(), "--per-record",
                "--segmentation", "stream", file.toString()).lines().toList();
        assertEquals(1, out.size());
        assertRecord(-1, patched, encoded, JSON.readTree(out.get(0)));
    }

    @Test
    void perPatchOutputIsTheWholeRecordEncoding(@TempDir Path tmp) throws Exception {
        Path file = input(tmp);
        List<List<ClosedPatch>> patched = patcher().patchRecordsInContext(InputFiles.lines(Files.readAllBytes(file)));
        List<List<PatchOutputs>> encoded = encodeInContext(patched);
        int byteOffset = model.manifest().tokens().byteOffset();
        var continuations = GreedyContinuation.forDocuments(encoded, model.bltScorer(), 2, byteOffset);

        List<String> out = PatchCommandIT.run("embed", "--model", ModelFolders.shipped().toString(),
                "--continuation-bytes", "2", file.toString()).lines().toList();
        int line = 0;
        for (int r = 0; r < patched.size(); r++) {
            for (int p = 0; p < patched.get(r).size(); p++, line++) {
                JsonNode o = JSON.readTree(out.get(line));
                ClosedPatch patch = patched.get(r).get(p);
                PatchOutputs e = encoded.get(r).get(p);
                String what = "record " + r + " patch " + p;
                assertEquals(r, o.get("record").asLong(), what);
                assertEquals(p, o.get("index").asLong(), what);
                assertEquals(patch.startOffset(), o.get("start").asLong(), what);
                assertLosslessBytes(patch.bytes(), o, "text", "bytes_base64", what);
                assertEquals(round(e.bitsPerByte()), o.get("blt_bits_per_byte").asDouble(), what);
                assertEquals(round(Predictions.bitsPerByte(patch.logprobs())),
                        o.get("entropy_model_bits_per_byte").asDouble(), what);
                assertFloats(e.embedding(), o.get("embedding"), what);
                assertLosslessBytes(continuations.get(e), o, "continuation", "continuation_base64", what);
                assertEquals(5, o.get("next_byte_top_k").size(), what);
            }
        }
        assertEquals(line, out.size());
    }

    private static List<List<PatchOutputs>> encodeInContext(List<List<ClosedPatch>> patched) {
        return OfflineBltStage.encodeRecordsInContext(model.encoderSettings(), model.bltScorer(),
                patched.stream().map(r -> r.stream().map(ClosedPatch::bytes).toList()).toList());
    }

    private static List<List<PatchOutputs>> encode(List<List<ClosedPatch>> patched) {
        return OfflineBltStage.encodeDocuments(model.encoderSettings(), model.bltScorer(),
                patched.stream().map(r -> r.stream().map(ClosedPatch::bytes).toList()).toList());
    }

    /** The per-record object as the command computed it from a whole record. */
    private static void assertRecord(long record, List<ClosedPatch> patches, List<PatchOutputs> encoded, JsonNode o) {
        long bytes = 0;
        double bits = 0;
        for (int p = 0; p < patches.size(); p++) {
            bytes += patches.get(p).length();
            bits += encoded.get(p).bitsPerByte() * patches.get(p).length();
        }
        String what = "record " + record;
        assertEquals(record, o.get("record").asLong(), what);
        assertEquals(bytes, o.get("bytes").asLong(), what);
        assertEquals(patches.size(), o.get("patches").asInt(), what);
        assertEquals(bytes == 0 ? 0 : round(bits / bytes), o.get("bits_per_byte").asDouble(), what);
        float[] unit = RecordVectors.unitMean(encoded);
        assertEquals(unit.length, o.get("embedding").size(), what + ": embedding size");
        for (int i = 0; i < unit.length; i++) {
            assertEquals(unit[i], o.get("embedding").get(i).asDouble(), 2e-6, what + ": embedding[" + i + "]");
        }
    }

    private static void assertFloats(float[] expected, JsonNode actual, String what) {
        assertEquals(expected.length, actual.size(), what + ": embedding size");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(round(expected[i]), actual.get(i).asDouble(), what + ": embedding[" + i + "]");
        }
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    /** The bytes as base64, and as text exactly when they are valid UTF-8 (JsonBytes). */
    private static void assertLosslessBytes(byte[] bytes, JsonNode o, String textField, String base64Field, String what) {
        assertArrayEquals(bytes, java.util.Base64.getDecoder().decode(o.get(base64Field).asText()), what);
        String text = JsonBytes.utf8OrNull(bytes);
        assertEquals(text != null, o.has(textField), what + ": " + textField + " only for valid UTF-8");
        if (text != null) {
            assertEquals(text, o.get(textField).asText(), what);
        }
    }
}
