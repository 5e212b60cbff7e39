package dev.blt.bltstage;

import java.util.ArrayList;
import java.util.List;

/** Reading predictions out of BLT's next-byte log-distribution. */
public final class Predictions {

    private Predictions() {
    }

    /** One candidate next byte. */
    public record NextByte(int value, double probability) {
    }

    /**
     * The k most likely next bytes (special tokens left out), most likely first; of equally likely
     * bytes the lower first. A selection over the 256 log-probabilities (exp is monotonic), not a
     * sort: it runs for every patch, and sorting 256 boxed candidates cost the job's BLT stage as
     * much Java time as everything else it does (flight recording, 2026-12-07).
     */
    public static List<NextByte> topK(float[] logprobs, int byteOffset, int k) {
        int n = Math.min(Math.max(k, 0), 256);
        int[] best = new int[n];
        int held = 0;
        for (int b = 0; b < 256; b++) {
            float lp = logprobs[b + byteOffset];
            if (held == n && !(lp > logprobs[best[n - 1] + byteOffset])) {
                continue; // not above the k-th: a tie keeps the lower byte already held
            }
            int at = held < n ? held++ : n - 1;
            while (at > 0 && lp > logprobs[best[at - 1] + byteOffset]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = b;
        }
        List<NextByte> top = new ArrayList<>(held);
        for (int i = 0; i < held; i++) {
            top.add(new NextByte(best[i], Math.exp(logprobs[best[i] + byteOffset])));
        }
        return top;
    }

    private static final double LN2 = Math.log(2);

    /** Total surprise, in bits, of log-probabilities in nats: minus the sum of log2 p. */
    public static double bits(float[] logprobs) {
        double nats = 0;
        for (float lp : logprobs) {
            nats -= lp;
        }
        return nats / LN2;
    }

    /** Mean surprise, in bits per byte, of log-probabilities in nats (0 for none). */
    public static double bitsPerByte(float[] logprobs) {
        return logprobs.length == 0 ? 0 : bits(logprobs) / logprobs.length;
    }
}
