package dev.blt.testing;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/**
 * Building blocks of the hostile-input properties: Avro varints written by hand (so that a test
 * can put any value, canonical or not, where a length or a union branch belongs), the lengths a
 * forged record claims, and a measure of what decoding one record allocates.
 */
public final class HostileBytes {

    private HostileBytes() {
    }

    /** The bytes of an Avro long (zig-zag, then base-128 varint). */
    public static byte[] avroLong(long value) {
        return varint((value << 1) ^ (value >> 63));
    }

    /** A base-128 varint of {@code raw} as it is, without zig-zag: any bit pattern a forger can write. */
    public static byte[] varint(long raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(10);
        while ((raw & ~0x7FL) != 0) {
            out.write((int) ((raw & 0x7F) | 0x80));
            raw >>>= 7;
        }
        out.write((int) raw);
        return out.toByteArray();
    }

    public static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** {@code size} bytes from {@code seed}: large random data without drawing each byte through jqwik. */
    public static byte[] randomBytes(long seed, int size) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /**
     * Lengths that no record of under 1 KiB can honour: negative ones, every power-of-two scale
     * from 1 KiB to 2^62 (so around 2^31 too), and the values at the edges of int and long.
     */
    public static Arbitrary<Long> impossibleLengths() {
        Arbitrary<Long> scaled = Arbitraries.integers().between(11, 62)
                .flatMap(bits -> Arbitraries.longs().between(1L << (bits - 1), (1L << bits) - 1));
        return Arbitraries.frequencyOf(
                Tuple.of(6, scaled),
                Tuple.of(2, Arbitraries.longs().between(Long.MIN_VALUE, -1)),
                Tuple.of(2, Arbitraries.of(-1L, (long) Integer.MAX_VALUE, Integer.MAX_VALUE - 8L,
                        1L << 31, 1L << 32, 1_500_000_000L, Long.MAX_VALUE, Long.MIN_VALUE)));
    }

    /**
     * Raw varints for a union branch or enum index: small values, and values of up to five bytes
     * whose bits beyond 32 vanish when Avro reads them as an int (2 + k * 2^32 reads as branch 1).
     */
    public static Arbitrary<Long> oddIndexes() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(0, 8)),
                Tuple.of(3, Arbitraries.longs().between(1, 7).flatMap(k ->
                        Arbitraries.longs().between(0, 4).map(low -> low + (k << 32)))),
                Tuple.of(2, Arbitraries.longs().between(0, (1L << 35) - 1)));
    }

    /**
     * What decoding a record of {@code recordBytes} may allocate: its fields a few times over
     * (Avro's buffers, the copies handed on), plus a fixed amount for decoders and exceptions.
     * Far below what a record that claims a length it does not hold would make Avro allocate.
     */
    public static long allocationAllowance(int recordBytes) {
        return 64 * 1024 + 8L * recordBytes;
    }

    /** What one decoding gave: its value or what it threw, and the bytes it allocated. */
    public record Outcome<T>(T value, Throwable thrown, long allocatedBytes) {
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /**
     * Runs {@code decoding} and catches whatever it throws, Errors included, so that a property
     * can say which were allowed, and measures what it allocated. It runs twice, each time on a
     * thread of its own: Avro keeps a decoder per thread, and a buffer that one forged record made
     * it grow would serve the next record unseen. The second run counts (the first links call
     * sites and loads classes), unless the first threw an Error. A run still going after
     * {@link #HANG_SECONDS} is reported as an {@link AssertionError}.
     */
    public static <T> Outcome<T> decode(Callable<T> decoding) {
        Outcome<T> first = onItsOwnThread(decoding);
        return first.thrown() instanceof Error ? first : onItsOwnThread(decoding);
    }

    public static final int HANG_SECONDS = 10;

    private static <T> Outcome<T> onItsOwnThread(Callable<T> decoding) {
        AtomicReference<Outcome<T>> outcome = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            T value = null;
            Throwable thrown = null;
            try {
                value = decoding.call();
            } catch (Throwable t) {
                thrown = t;
            }
            outcome.set(new Outcome<>(value, thrown, THREADS.getCurrentThreadAllocatedBytes() - before));
        }, "hostile-bytes");
        thread.setDaemon(true);
        thread.start();
        try {
            thread.join(HANG_SECONDS * 1000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return thread.isAlive()
                ? new Outcome<>(null, new AssertionError("still decoding after " + HANG_SECONDS + " s"), -1)
                : outcome.get();
    }
}
