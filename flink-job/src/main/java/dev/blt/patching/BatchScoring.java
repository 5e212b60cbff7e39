package dev.blt.patching;

import java.util.ArrayList;
import java.util.List;

/** Scores the pending windows of many patchers in one batched model call. */
public final class BatchScoring {

    private BatchScoring() {
    }

    /** Returns the number of windows scored (0 when every patcher was up to date). */
    public static int scoreAll(List<StreamPatcher> patchers, EntropyScorer scorer) {
        List<List<StreamPatcher.Window>> perPatcher = new ArrayList<>(patchers.size());
        List<long[]> tokens = new ArrayList<>();
        for (StreamPatcher p : patchers) {
            List<StreamPatcher.Window> windows = p.windowsToScore();
            perPatcher.add(windows);
            windows.forEach(w -> tokens.add(w.tokens()));
        }
        if (tokens.isEmpty()) {
            return 0;
        }
        List<EntropyScorer.Scores> scores = scorer.score(tokens);
        int next = 0;
        for (int i = 0; i < patchers.size(); i++) {
            List<StreamPatcher.Window> windows = perPatcher.get(i);
            if (!windows.isEmpty()) {
                patchers.get(i).acceptScores(windows, scores.subList(next, next + windows.size()));
                next += windows.size();
            }
        }
        return tokens.size();
    }
}
