package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
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

/**
 * Record segmentation with record context, the job's default, reproduces model-export's reference
 * ({@code patcher.records_in_context}): entropies, boundaries, BLT embeddings and log-probabilities
 * of each record scored after the records before it.
 */
class RecordContextFixtureTest {

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void recordsInContextMatchTheFixtures(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        JsonNode fixtures = Fixtures.load(folder);
        JsonNode expected = fixtures.get("records_in_context");
        assertTrue(expected != null && expected.size() > 1, folder + ": fixtures.json has no records_in_context");
        FloatAsserts.Tolerance tol = Fixtures.tolerance(fixtures);
        List<byte[]> records = new ArrayList<>();
        expected.forEach(r -> records.add(Base64.getDecoder().decode(r.get("bytes_base64").asText())));

        List<List<ClosedPatch>> patched = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchRecordsInContext(records);
        // BLT runs on the fixture's patches, so that its outputs compare one for one even where a
        // boundary may differ (an entropy within the tolerance's margin of theta; assertBoundaries).
        List<List<byte[]>> patchBytes = new ArrayList<>();
        for (int r = 0; r < records.size(); r++) {
            patchBytes.add(Fixtures.patches(records.get(r),
                    Fixtures.longs(expected.get(r).get("patch_starts"))));
        }
        List<List<PatchOutputs>> encoded = OfflineBltStage.encodeRecordsInContext(model.encoderSettings(),
                model.bltScorer(), patchBytes);
        for (int r = 0; r < records.size(); r++) {
            String name = folder.getFileName() + " record " + r;
            JsonNode e = expected.get(r);
            float[] entropies = Fixtures.floats(e.get("entropies"));
            FloatAsserts.assertClose(name + " entropies", entropies, PatcherFixtureTest.concat(patched.get(r), true), tol);
            FloatAsserts.assertClose(name + " entropy-model logprobs", Fixtures.floats(e.get("entropy_model_logprobs")),
                    PatcherFixtureTest.concat(patched.get(r), false), tol);
            PatcherFixtureTest.assertBoundaries(name, Fixtures.longs(e.get("patch_starts")),
                    PatcherFixtureTest.starts(patched.get(r)), entropies, model.patcherSettings().rule().theta(),
                    tol.boundaryMargin());
            assertEquals(e.get("patch_embeddings").size(), encoded.get(r).size(), name + ": one output per patch");
            float[] logprobs = new float[records.get(r).length];
            int at = 0;
            float[][] expectedEmbeddings = new float[encoded.get(r).size()][];
            float[][] actualEmbeddings = new float[encoded.get(r).size()][];
            for (int p = 0; p < encoded.get(r).size(); p++) {
                PatchOutputs out = encoded.get(r).get(p);
                assertEquals(p, out.patchIndex(), name + ": patch indices count from 0 in each record");
                expectedEmbeddings[p] = Fixtures.floats(e.get("patch_embeddings").get(p));
                actualEmbeddings[p] = out.embedding();
                System.arraycopy(out.byteLogprobs(), 0, logprobs, at, out.byteLogprobs().length);
                at += out.byteLogprobs().length;
            }
            FloatAsserts.assertClose(name + " patch embeddings", expectedEmbeddings, actualEmbeddings, tol);
            FloatAsserts.assertClose(name + " BLT byte log-probabilities", Fixtures.floats(e.get("blt_logprobs")),
                    logprobs, tol);
        }
    }
}
