package dev.blt.model;

import static dev.blt.model.GraphTensor.ENTROPY;
import static dev.blt.model.GraphTensor.HIDDEN;
import static dev.blt.model.GraphTensor.LAST_LOGP;
import static dev.blt.model.GraphTensor.LENGTHS;
import static dev.blt.model.GraphTensor.NEXT_LOGPROB;
import static dev.blt.model.GraphTensor.PAST_KEY;
import static dev.blt.model.GraphTensor.PAST_VALUE;
import static dev.blt.model.GraphTensor.PATCH_EMBEDDING;
import static dev.blt.model.GraphTensor.PATCH_END_LOGPROBS;
import static dev.blt.model.GraphTensor.PATCH_START;
import static dev.blt.model.GraphTensor.PRESENT_KEY;
import static dev.blt.model.GraphTensor.PRESENT_VALUE;
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
}
