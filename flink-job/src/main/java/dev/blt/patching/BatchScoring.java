package dev.blt.patching;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores the pending windows of many patchers: full blocks in one batched model call, and each
 * patcher's open block with the incremental graph when the model has one (continuing the window
 * from its cached keys and values, so bytes that arrive a few at a time do not re-run it).
 */
public final class BatchScoring {

    private BatchScoring() {
    }

    /** Returns the number of windows (or rolling calls) scored (0 when every patcher was up to date). */
    public static int scoreAll(List<StreamPatcher> patchers, EntropyScorer scorer) {
        if (scorer.rolling() != null) {
            return scoreRolling(patchers, scorer.rolling());
        }
        StepScorer stepper = scorer.stepper();
        List<List<StreamPatcher.Window>> perPatcher = new ArrayList<>(patchers.size());
        List<Boolean> stepped = new ArrayList<>(patchers.size());
        List<long[]> tokens = new ArrayList<>();
        int windowCount = 0;
        for (StreamPatcher p : patchers) {
            List<StreamPatcher.Window> windows = p.windowsToScore();
            perPatcher.add(windows);
            windowCount += windows.size();
            StreamPatcher.Window last = windows.isEmpty() ? null : windows.get(windows.size() - 1);
            // A step needs two tokens of window at least (see StepScorer): C >= 1 or BOS gives them.
            boolean step = stepper != null && last != null && p.isOpenBlock(last) && last.tokens().length >= 2;
            stepped.add(step);
            for (int w = 0; w < windows.size() - (step ? 1 : 0); w++) {
                tokens.add(windows.get(w).tokens());
            }
        }
        if (windowCount == 0) {
            return 0;
        }
        List<EntropyScorer.Scores> scores = tokens.isEmpty() ? List.of() : scorer.score(tokens);
        int next = 0;
        for (int i = 0; i < patchers.size(); i++) {
            List<StreamPatcher.Window> windows = perPatcher.get(i);
            if (windows.isEmpty()) {
                continue;
            }
            int batched = windows.size() - (stepped.get(i) ? 1 : 0);
            List<EntropyScorer.Scores> mine = new ArrayList<>(scores.subList(next, next + batched));
            next += batched;
            if (stepped.get(i)) {
                mine.add(patchers.get(i).scoreByStep(windows.get(windows.size() - 1), stepper));
            }
            patchers.get(i).acceptScores(windows, mine);
        }
        return windowCount;
    }

    /**
     * With a sliding-window model: rounds of one batched rolling call, each taking the next call of
     * every stream that still needs one (a long chunk takes several, in order), until all are scored.
     */
    private static int scoreRolling(List<StreamPatcher> patchers, RollingScorer scorer) {
        int calls = 0;
        List<StreamPatcher> pending = patchers;
        while (true) {
            List<StreamPatcher> round = new ArrayList<>(pending.size());
            List<RollingScorer.Call> batch = new ArrayList<>(pending.size());
            for (StreamPatcher p : pending) {
                RollingScorer.Call call = p.rollingCall();
                if (call != null) {
                    round.add(p);
                    batch.add(call);
                }
            }
            if (batch.isEmpty()) {
                return calls;
            }
            List<EntropyScorer.Scores> scores = scorer.score(batch);
            for (int i = 0; i < round.size(); i++) {
                round.get(i).acceptRolling(batch.get(i), scores.get(i));
            }
            calls += batch.size();
            pending = round;
        }
    }
}
