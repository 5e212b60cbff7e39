package dev.blt.patching;

import java.util.List;

/** Runs the entropy model over token windows in one batched call. */
public interface EntropyScorer {

    /** Per window: entropy[i] and nextLogprob[i] at every position i of that window. */
    List<Scores> score(List<long[]> windows);

    /** The incremental graph, used for each stream's open block; null when the model has none. */
    default StepScorer stepper() {
        return null;
    }

    /** The rolling graph of a sliding-window model, which replaces both of the above; null without one. */
    default RollingScorer rolling() {
        return null;
    }

    /**
     * Outputs of one window of T tokens, in nats.
     *
     * @param entropy     entropy of the distribution of token t+1 given tokens[0..t], [T]
     * @param nextLogprob log p(tokens[t+1]), [T]; 0 at the last position, which has no next token
     */
    record Scores(float[] entropy, float[] nextLogprob) {
    }
}
