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

    /** Outputs of one window, both in nats and as long as the window. */
    record Scores(float[] entropy, float[] nextLogprob) {
    }
}
