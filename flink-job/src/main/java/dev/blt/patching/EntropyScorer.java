package dev.blt.patching;

import java.util.List;

/** Runs the entropy model over token windows in one batched call. */
public interface EntropyScorer {

    /** Per window: entropy[i] and nextLogprob[i] at every position i of that window. */
    List<Scores> score(List<long[]> windows);

    /** Outputs of one window, both in nats and as long as the window. */
    record Scores(float[] entropy, float[] nextLogprob) {
    }
}
