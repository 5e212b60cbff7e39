package dev.blt.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaskedLinesTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void masksNumbersAndHexRunsButNotWords() {
        assertEquals("Received block blk_-<*> of size <*> from /<*>.<*>.<*>.<*>",
                MaskedLines.mask(b("Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6")));
        assertEquals("session <*> user root ptr <*> deadbeef", MaskedLines.mask(b("session 3fa9c2e1 user root ptr 0x7FFe12 deadbeef")));
    }

    @Test
    void sameTemplateLinesAreNearestUnderTfidf() {
        List<String> lines = MaskedLines.maskAll(List.of(b("open file a.txt by 17"), b("open file b.txt by 99"),
                b("close socket 4 on port 80"), b("close socket 9 on port 443")));
        List<float[]> vectors = MaskedLines.tfidf(lines);
        assertEquals(1.0, NearestNeighbour.sameLabelRate(vectors, List.of("open", "open", "close", "close")));
    }

    @Test
    void rarityIsMinusLogShareOfTheMaskedForm() {
        double[] bits = MaskedLines.rarityBits(List.of("a <*>", "a <*>", "a <*>", "b"));
        assertArrayEquals(new double[] {0.415, 0.415, 0.415, 2.0}, bits, 1e-3);
    }

    @Test
    void rocAucRanksPositivesAboveNegativesWithTiesHalf() {
        assertEquals(1.0, RocAuc.of(new double[] {0.1, 0.2, 0.9, 0.8}, new boolean[] {false, false, true, true}));
        assertEquals(0.0, RocAuc.of(new double[] {0.9, 0.8, 0.1, 0.2}, new boolean[] {false, false, true, true}));
        assertEquals(0.5, RocAuc.of(new double[] {1, 1, 1, 1}, new boolean[] {false, true, false, true}));
        // pairs (positive, negative): (0.5, 0.1) 1, (0.5, 0.5) 1/2, (0.9, 0.1) 1, (0.9, 0.5) 1
        assertEquals(0.875, RocAuc.of(new double[] {0.1, 0.5, 0.5, 0.9}, new boolean[] {false, false, true, true}));
        assertTrue(Double.isNaN(RocAuc.of(new double[] {1, 2}, new boolean[] {true, true})));
    }
}
