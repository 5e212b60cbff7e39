package dev.blt.bltstage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Reading predictions out of BLT's next-byte log-distribution. */
public final class Predictions {

    private Predictions() {
    }

    /** One candidate next byte. */
    public record NextByte(int value, double probability) {
    }

    /** The k most likely next bytes (special tokens left out), most likely first. */
    public static List<NextByte> topK(float[] logprobs, int byteOffset, int k) {
        List<NextByte> all = new ArrayList<>(256);
        for (int b = 0; b < 256; b++) {
            all.add(new NextByte(b, Math.exp(logprobs[b + byteOffset])));
        }
        all.sort(Comparator.comparingDouble(NextByte::probability).reversed());
        return new ArrayList<>(all.subList(0, Math.min(k, all.size())));
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
