package dev.blt.bltstage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blt.model.LoadedModel;
import dev.blt.testing.Fixtures;
import dev.blt.testing.FloatAsserts;
import dev.blt.testing.ModelFolders;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Java BLT stage reproduces model-export's document-level embeddings and log-probabilities. */
class BltStageFixtureTest {

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void embeddingsAndLogprobsMatchTheFixtures(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        JsonNode fixtures = Fixtures.load(folder);
        FloatAsserts.Tolerance tol = Fixtures.tolerance(fixtures);
        for (JsonNode doc : fixtures.get("documents")) {
            String name = folder.getFileName() + "/" + doc.get("name").asText();
            byte[] data = Base64.getDecoder().decode(doc.get("bytes_base64").asText());
            long[] starts = Fixtures.longs(doc.get("patch_starts"));
            List<PatchOutputs> encoded = OfflineBltStage.encodeDocument(model.encoderSettings(), model.bltScorer(),
                    Fixtures.patches(data, starts));
            assertEquals(starts.length, encoded.size(), name + ": one output per patch");
            JsonNode embeddings = doc.get("patch_embeddings");
            JsonNode ends = doc.get("patch_end_logprobs");
            float[] logprobs = new float[data.length];
            float[][] expectedEmbeddings = new float[encoded.size()][];
            float[][] actualEmbeddings = new float[encoded.size()][];
            float[][] expectedEnds = new float[Math.min(ends.size(), encoded.size())][];
            float[][] actualEnds = new float[expectedEnds.length][];
            for (int p = 0; p < encoded.size(); p++) {
                PatchOutputs e = encoded.get(p);
                expectedEmbeddings[p] = Fixtures.floats(embeddings.get(p));
                actualEmbeddings[p] = e.embedding();
                if (p < expectedEnds.length) {
                    expectedEnds[p] = Fixtures.floats(ends.get(p));
                    actualEnds[p] = e.nextByteLogprobs();
                }
                System.arraycopy(e.byteLogprobs(), 0, logprobs, (int) starts[p], e.byteLogprobs().length);
            }
            // [patch][value] in the failure message names the patch.
            FloatAsserts.assertClose(name + " patch embeddings", expectedEmbeddings, actualEmbeddings, tol);
            FloatAsserts.assertClose(name + " next-byte distributions after the first patches", expectedEnds, actualEnds, tol);
            FloatAsserts.assertClose(name + " BLT byte log-probabilities", Fixtures.floats(doc.get("blt_logprobs")),
                    logprobs, tol);
        }
    }
}
