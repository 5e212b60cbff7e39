package dev.blt.model;

import static dev.blt.model.GraphTensor.BYTE_CACHED;
import static dev.blt.model.GraphTensor.BYTE_POS;
import static dev.blt.model.GraphTensor.ENTROPY;
import static dev.blt.model.GraphTensor.HIDDEN;
import static dev.blt.model.GraphTensor.HISTORY;
import static dev.blt.model.GraphTensor.LAST_LATENT;
import static dev.blt.model.GraphTensor.LAST_LOGP;
import static dev.blt.model.GraphTensor.LENGTHS;
import static dev.blt.model.GraphTensor.NEXT_LOGPROB;
import static dev.blt.model.GraphTensor.PAST_BYTE_KEY;
import static dev.blt.model.GraphTensor.PAST_BYTE_VALUE;
import static dev.blt.model.GraphTensor.PAST_KEY;
import static dev.blt.model.GraphTensor.PAST_LATENT_KEY;
import static dev.blt.model.GraphTensor.PAST_LATENT_VALUE;
import static dev.blt.model.GraphTensor.PAST_VALUE;
import static dev.blt.model.GraphTensor.PATCH_CACHED;
import static dev.blt.model.GraphTensor.PATCH_COUNTS;
import static dev.blt.model.GraphTensor.PATCH_EMBEDDING;
import static dev.blt.model.GraphTensor.PATCH_END_LOGPROBS;
import static dev.blt.model.GraphTensor.PATCH_POS;
import static dev.blt.model.GraphTensor.PATCH_START;
import static dev.blt.model.GraphTensor.PRESENT_BYTE_KEY;
import static dev.blt.model.GraphTensor.PRESENT_BYTE_VALUE;
import static dev.blt.model.GraphTensor.PRESENT_KEY;
import static dev.blt.model.GraphTensor.PRESENT_LATENT_KEY;
import static dev.blt.model.GraphTensor.PRESENT_LATENT_VALUE;
import static dev.blt.model.GraphTensor.PRESENT_VALUE;
import static dev.blt.model.GraphTensor.PREV_LATENT;
import static dev.blt.model.GraphTensor.START;
import static dev.blt.model.GraphTensor.TOKENS;
import static dev.blt.model.GraphTensor.VALID_FROM;

import java.util.List;

/**
 * The inputs and outputs the Java runtime relies on in the exported graphs (see
 * {@code model-export/blt_models/export.py}, ENTROPY_IO and BLT_IO). The manifest is checked
 * against these when it is loaded, and each session against them when it is opened, so a graph
 * exported under other names fails at startup rather than on the first record.
 */
public record GraphIo(List<GraphTensor> inputs, List<GraphTensor> outputs) {

    public static final GraphIo ENTROPY_GRAPH =
            new GraphIo(List.of(TOKENS), List.of(ENTROPY, NEXT_LOGPROB, HIDDEN));

    /** The incremental entropy graph: continues a window from its cached attention keys and values. */
    public static final GraphIo ENTROPY_STEP_GRAPH = new GraphIo(List.of(TOKENS, PAST_KEY, PAST_VALUE),
            List.of(ENTROPY, NEXT_LOGPROB, LAST_LOGP, PRESENT_KEY, PRESENT_VALUE));

    /** The rolling graph: continues streams from their cached window (docs/DESIGN.md, "Rolling cache"). */
    public static final GraphIo ENTROPY_ROLLING_GRAPH = new GraphIo(
            List.of(TOKENS, START, VALID_FROM, LENGTHS, PAST_KEY, PAST_VALUE),
            List.of(ENTROPY, NEXT_LOGPROB, LAST_LOGP, PRESENT_KEY, PRESENT_VALUE));

    public static final GraphIo BLT_GRAPH = new GraphIo(List.of(TOKENS, PATCH_START),
            List.of(PATCH_EMBEDDING, NEXT_LOGPROB, PATCH_END_LOGPROBS));

    /** The rolling BLT graph: continues streams by whole patches from their caches (docs/DESIGN.md). */
    public static final GraphIo BLT_ROLLING_GRAPH = new GraphIo(
            List.of(TOKENS, PATCH_START, BYTE_POS, PATCH_POS, LENGTHS, PATCH_COUNTS, BYTE_CACHED, PATCH_CACHED, HISTORY,
                    PAST_BYTE_KEY, PAST_BYTE_VALUE, PAST_LATENT_KEY, PAST_LATENT_VALUE, PREV_LATENT),
            List.of(PATCH_EMBEDDING, NEXT_LOGPROB, PATCH_END_LOGPROBS, PRESENT_BYTE_KEY, PRESENT_BYTE_VALUE,
                    PRESENT_LATENT_KEY, PRESENT_LATENT_VALUE, LAST_LATENT));
}
