package dev.blt.eval;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The simple baselines a log parser gives for free, for {@code blt eval-loghub}: a line with its
 * variable fields masked (numbers and hexadecimal runs), TF-IDF vectors of the masked lines' words,
 * and the rarity of a line's masked form. A byte-level model has to beat these to be worth its cost.
 */
public final class MaskedLines {

    /** 0x-prefixed hex, or a run of 6+ hex digits with at least one decimal digit (ids, hashes, addresses). */
    private static final Pattern HEX = Pattern.compile("(?i)0x[0-9a-f]+|(?=[0-9a-f]*[0-9])[0-9a-f]{6,}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern WORD_SEPARATORS = Pattern.compile("[\\s=:,;()\\[\\]{}\"'|]+");
    static final String MASK = "<*>";

    private MaskedLines() {
    }

    /** The line with every hexadecimal run and every digit run replaced by {@value #MASK}. */
    public static String mask(byte[] line) {
        String text = new String(line, StandardCharsets.UTF_8);
        return DIGITS.matcher(HEX.matcher(text).replaceAll(MASK)).replaceAll(MASK);
    }

    public static List<String> maskAll(List<byte[]> lines) {
        return lines.stream().map(MaskedLines::mask).toList();
    }

    /**
     * TF-IDF vectors (term frequency times log(n / document frequency), over the words of each
     * masked line), dense over the vocabulary of these lines, for cosine nearest neighbours.
     */
    public static List<float[]> tfidf(List<String> maskedLines) {
        Map<String, Integer> vocabulary = new HashMap<>();
        Map<Integer, Integer> documentFrequency = new HashMap<>();
        List<Map<Integer, Integer>> counts = maskedLines.stream().map(line -> {
            Map<Integer, Integer> c = new HashMap<>();
            for (String word : WORD_SEPARATORS.split(line)) {
                if (!word.isEmpty()) {
                    c.merge(vocabulary.computeIfAbsent(word, w -> vocabulary.size()), 1, Integer::sum);
                }
            }
            c.keySet().forEach(term -> documentFrequency.merge(term, 1, Integer::sum));
            return c;
        }).toList();
        int n = maskedLines.size();
        return counts.stream().map(c -> {
            float[] v = new float[vocabulary.size()];
            c.forEach((term, tf) -> v[term] = (float) (tf * Math.log((double) n / documentFrequency.get(term))));
            return v;
        }).toList();
    }

    /** -log2 of the share of lines with the same masked form: high for a form seldom seen. */
    public static double[] rarityBits(List<String> maskedLines) {
        Map<String, Integer> counts = new HashMap<>();
        maskedLines.forEach(m -> counts.merge(m, 1, Integer::sum));
        double n = maskedLines.size();
        return maskedLines.stream().mapToDouble(m -> -Math.log(counts.get(m) / n) / Math.log(2)).toArray();
    }
}
