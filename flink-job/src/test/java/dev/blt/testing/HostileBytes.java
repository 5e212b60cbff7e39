package dev.blt.testing;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
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

    /**
     * Random arrays of 0 to {@code maxSize} bytes, the empty one among the edge cases. Drawn from a
     * seed, not byte by byte through jqwik: megabytes stay cheap (they shrink by size and seed).
     */
    public static Arbitrary<byte[]> randomArrays(int maxSize) {
        return randomArrays(Arbitraries.integers().between(0, maxSize)).edgeCases(edges -> edges.add(new byte[0]));
    }

    /** Random arrays of the given sizes. */
    public static Arbitrary<byte[]> randomArrays(Arbitrary<Integer> sizes) {
        return Combinators.combine(Arbitraries.longs(), sizes).as((seed, size) -> {
            byte[] bytes = new byte[size];
            new Random(seed).nextBytes(bytes);
            return bytes;
        });
    }

    /**
     * Strings of up to {@code maxCodePoints} code points from a random mix of ASCII, two-, three-
     * and four-byte UTF-8 and control characters; never a lone surrogate, which no String that
     * Avro writes can hold.
     */
    public static Arbitrary<String> unicode(int maxCodePoints) {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(0, maxCodePoints),
                Arbitraries.integers().between(1, (1 << PLANES.length) - 1)).as((seed, length, mix) -> {
                    Random random = new Random(seed);
                    int[] planes = IntStream.range(0, PLANES.length)
                            .filter(p -> (mix & (1 << p)) != 0).toArray();
                    StringBuilder s = new StringBuilder();
                    for (int i = 0; i < length; i++) {
                        int[] plane = PLANES[planes[random.nextInt(planes.length)]];
                        s.appendCodePoint(plane[0] + random.nextInt(plane[1] - plane[0] + 1));
                    }
                    return s.toString();
                });
    }

    private static final int[][] PLANES = {
        {0x20, 0x7E}, {0x80, 0x7FF}, {0x800, 0xD7FF}, {0xE000, 0xFFFF}, {0x10000, 0x10FFFF}, {0x0, 0x1F},
    };

    /**
     * Lengths that no small record can honour: negative ones, every power-of-two scale
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
     * Decodes a record of {@code recordBytes}: runs {@code decoding} and catches whatever it
     * throws, Errors included, so that a property can say which were allowed, and measures what it
     * allocated. A run over {@link #allocationAllowance} is run again on a thread of its own, and
     * that run counts: the first use of a code path links call sites and loads classes, and Avro
     * keeps a decoder per thread whose buffers, once grown, would hide a second allocation on this
     * one. A decoder that allocates what a record claims does so on every thread.
     */
    public static <T> Outcome<T> decode(int recordBytes, Callable<T> decoding) {
        Outcome<T> outcome = measure(decoding);
        if (outcome.thrown() instanceof Error || outcome.allocatedBytes() <= allocationAllowance(recordBytes)) {
            return outcome;
        }
        AtomicReference<Outcome<T>> again = new AtomicReference<>();
        Thread thread = new Thread(() -> again.set(measure(decoding)), "hostile-bytes");
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return again.get();
    }

    private static <T> Outcome<T> measure(Callable<T> decoding) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        T value = null;
        Throwable thrown = null;
        try {
            value = decoding.call();
        } catch (Throwable t) {
            thrown = t;
        }
        return new Outcome<>(value, thrown, THREADS.getCurrentThreadAllocatedBytes() - before);
    }
}
