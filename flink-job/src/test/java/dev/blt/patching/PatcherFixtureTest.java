package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blt.model.LoadedModel;
import dev.blt.testing.Fixtures;
import dev.blt.testing.FloatAsserts;
import dev.blt.testing.ModelFolders;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Java patcher reproduces model-export's document-level golden fixtures. */
class PatcherFixtureTest {

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void streamAndRecordPatchingMatchTheFixtures(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        JsonNode fixtures = Fixtures.load(folder);
        FloatAsserts.Tolerance tol = Fixtures.tolerance(fixtures);
        double theta = model.patcherSettings().rule().theta();
        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        for (JsonNode doc : fixtures.get("documents")) {
            String name = folder.getFileName() + "/" + doc.get("name").asText();
            byte[] data = Base64.getDecoder().decode(doc.get("bytes_base64").asText());
            float[] expectedEntropy = Fixtures.floats(doc.get("entropies"));
            long[] expectedStarts = Fixtures.longs(doc.get("patch_starts"));

            List<ClosedPatch> stream = patcher.patchStream(List.of(data));
            List<ClosedPatch> record = patcher.patchRecords(List.of(data)).get(0);
            for (List<ClosedPatch> patches : List.of(stream, record)) {
                FloatAsserts.assertClose(name + " entropies", expectedEntropy, concat(patches, true), tol);
                FloatAsserts.assertClose(name + " entropy-model logprobs",
                        Fixtures.floats(doc.get("entropy_model_logprobs")), concat(patches, false), tol);
                assertBoundaries(name, expectedStarts, starts(patches), expectedEntropy, theta, tol.boundaryMargin());
            }
        }
    }

    /** Boundaries must be identical, except where the entropy lies within margin of theta. */
    static void assertBoundaries(String what, long[] expected, long[] actual, float[] entropy, double theta,
                                 double margin) {
        List<Long> e = new ArrayList<>();
        List<Long> a = new ArrayList<>();
        for (long s : expected) {
            if (Math.abs(entropy[(int) s] - theta) > margin) {
                e.add(s);
            }
        }
        for (long s : actual) {
            if (Math.abs(entropy[(int) s] - theta) > margin) {
                a.add(s);
            }
        }
        assertEquals(e, a, what + ": patch boundaries differ");
        assertTrue(expected.length == 0 || actual[0] == 0, what + ": the first byte must start a patch");
    }

    static float[] concat(List<ClosedPatch> patches, boolean entropies) {
        int n = patches.stream().mapToInt(ClosedPatch::length).sum();
        float[] out = new float[n];
        int i = 0;
        for (ClosedPatch p : patches) {
            float[] src = entropies ? p.entropies() : p.logprobs();
            System.arraycopy(src, 0, out, i, src.length);
            i += src.length;
        }
        return out;
    }

    static long[] starts(List<ClosedPatch> patches) {
        return patches.stream().mapToLong(ClosedPatch::startOffset).toArray();
    }
}
