package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RollingWindowTest {

    private final RollingWindow window = new RollingWindow(256, 2, 64, 512);

    @Test
    void aCallTakesWhatIsThereUpToItsLimit() {
        assertEquals(5, window.callEnd(0, 5));
        assertEquals(1000 + 512, window.callEnd(1000, 1000 + 512));
        assertEquals(1000 + 300, window.callEnd(1000, 1000 + 300));
    }

    @Test
    void aCallCutShortEndsOnABlockBoundarySoTheNextPadsNothing() {
        long end = window.callEnd(1000, 1_000_000);
        assertEquals(1472, end); // 1000 + 512 = 1512, down to a multiple of 64
        assertEquals(0, end % 64);
        assertEquals(1472 + 512, window.callEnd(end, 1_000_000)); // and from there, whole calls
    }

    @Test
    void aCallOfOneBlockStillEndsOnTheNextBoundary() {
        RollingWindow small = new RollingWindow(8, 2, 64, 64);
        assertEquals(64, small.callEnd(10, 1000));
        assertEquals(128, small.callEnd(64, 1000));
    }

    @Test
    void aBlockThatStartsBeforeTheWindowGoesAloneWithTheKeysThatExist() {
        assertEquals(64, window.callEnd(0, 1_000_000));
        assertEquals(128, window.callEnd(100, 1_000_000));
        assertEquals(120, window.callEnd(100, 120));
        assertEquals(256, window.callEnd(192, 1_000_000));
        assertEquals(256 + 512, window.callEnd(256, 1_000_000)); // from W on, whole calls
        assertEquals(64, window.keySpan(0));
        assertEquals(128, window.keySpan(100));
        assertEquals(256, window.keySpan(255));
        assertEquals(320, window.keySpan(256));
        assertEquals(320, window.keySpan(1L << 40));
    }

    @Test
    void theReceptiveFieldAndCacheFollowTheManifest() {
        assertEquals(510, window.receptiveField());
        assertEquals(256, window.cachedPositions());
    }

    @Test
    void badShapesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RollingWindow(256, 2, 48, 512));
        assertTrue(e.getMessage().contains("power-of-two query block"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RollingWindow(1, 2, 64, 512));
        assertThrows(IllegalArgumentException.class, () -> new RollingWindow(256, 2, 64, 32));
    }
}
