package dev.blt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceTest {

    @Test
    void parsesCpuAndCuda() {
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertFalse(Device.parse(" CPU ").isCuda());
        Device gpu = Device.parse("cuda:3");
        assertTrue(gpu.isCuda());
        assertEquals(3, gpu.gpu());
        assertEquals("cuda:3", gpu.toString());
        assertEquals(Device.cuda(0), Device.parse("CUDA:0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpu", "cuda", "cuda:", "cuda:-1", "cuda:x", "cuda:0:1", "cuda0", "tpu:0"})
    void rejectsAnythingElseWithTheAllowedSpellings(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse(spec));
        assertEquals("unknown device '" + spec + "': use 'cpu' or 'cuda:N' (for example cuda:0)", e.getMessage());
    }

    @Test
    void rejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> Device.parse(null));
    }
}
