package dev.blt.testing;

import dev.blt.patching.EntropyScorer;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.PatchingRule;
import java.util.ArrayList;
import java.util.List;

/**
 * An entropy "model" written for tests: the entropy of the next byte is a plain function of the
 * byte before it, so a test can say which byte starts a patch and why, with no model loaded. After
 * a space, a newline or BOS it is {@link #HIGH}; after any other byte it is its low nibble / 10
 * (0.0 to 1.5), so consecutive bytes can raise it by any step below theta. The log-probability of
 * a byte is minus the entropy before it.
 */
public final class ByteRuleScorer implements EntropyScorer {

    public static final int BOS = 1;
    public static final int BYTE_OFFSET = 4;
    public static final float HIGH = 5f;

    /** Settings for this scorer: small windows (C, B), so tests cross many blocks in a few bytes. */
    public static PatcherSettings settings(PatchingRule rule, int contextBytes, int blockBytes) {
        return new PatcherSettings(rule, contextBytes, blockBytes, BOS, BYTE_OFFSET, (byte) '\n');
    }

    /** The entropy of the byte that follows {@code previous} (a byte value, or -1 for BOS). */
    public static float entropyAfter(int previous) {
        if (previous < 0 || previous == ' ' || previous == '\n') {
            return HIGH;
        }
        return (previous & 0x0F) / 10f;
    }

    private int calls;

    @Override
    public List<Scores> score(List<long[]> windows) {
        calls++;
        List<Scores> out = new ArrayList<>(windows.size());
        for (long[] window : windows) {
            float[] entropy = new float[window.length];
            float[] logprob = new float[window.length];
            for (int i = 0; i < window.length; i++) {
                int token = (int) window[i];
                entropy[i] = entropyAfter(token == BOS ? -1 : token - BYTE_OFFSET);
                logprob[i] = -entropy[i];
            }
            out.add(new Scores(entropy, logprob));
        }
        return out;
    }

    /** Batched calls made so far. */
    public int calls() {
        return calls;
    }
}
