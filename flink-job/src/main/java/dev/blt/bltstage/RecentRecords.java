package dev.blt.bltstage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Novelty of a record: how far its {@link RecordEmbedding} is from the nearest of its key's last
 * {@code window} record embeddings, 1 - max cosine similarity, in [0, 2]. A line whose template the
 * stream showed recently scores near 0; a line unlike anything recent scores high. The recent
 * vectors are kept as 8-bit integers (one scale per vector), so a key costs about window × d bytes
 * of state; the cosine they give differs from the float one by at most about 0.02.
 */
public final class RecentRecords {

    private static final int FORMAT_V1 = 1;

    private final int window;
    private final Deque<byte[]> vectors = new ArrayDeque<>(); // newest last, quantised unit vectors

    public RecentRecords(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("novelty window must be >= 1, got " + window);
        }
        this.window = window;
    }

    public int size() {
        return vectors.size();
    }

    /** 1 - the highest cosine similarity to a kept vector; NaN when none is kept yet. */
    public double novelty(float[] unit) {
        double best = Double.NEGATIVE_INFINITY;
        for (byte[] q : vectors) {
            if (q.length != unit.length) {
                continue; // a vector of another model's dimension: not comparable
            }
            double dot = 0;
            double norm = 0;
            for (int i = 0; i < q.length; i++) {
                dot += q[i] * unit[i];
                norm += q[i] * q[i];
            }
            if (norm > 0) {
                best = Math.max(best, dot / Math.sqrt(norm));
            }
        }
        return best == Double.NEGATIVE_INFINITY ? Double.NaN : 1 - best;
    }

    /** Keeps unit, dropping the oldest beyond the window. */
    public void add(float[] unit) {
        byte[] q = new byte[unit.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) Math.max(-127, Math.min(127, Math.round(unit[i] * 127f)));
        }
        vectors.addLast(q);
        while (vectors.size() > window) {
            vectors.removeFirst();
        }
    }

    public byte[] snapshot() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_V1);
            out.writeInt(vectors.size());
            for (byte[] q : vectors) {
                out.writeInt(q.length);
                out.write(q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Restores a snapshot under this window (a smaller window keeps the newest vectors). */
    public static RecentRecords restore(byte[] snapshot, int window) throws IOException {
        RecentRecords r = new RecentRecords(window);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT_V1) {
                throw new IOException("unknown recent-records state format " + format);
            }
            int n = in.readInt();
            for (int k = 0; k < n; k++) {
                int dim = in.readInt();
                if (dim < 0 || dim > in.available()) {
                    throw new IOException("corrupt recent-records state: vector of " + dim + " bytes, " + in.available() + " left");
                }
                byte[] q = new byte[dim];
                in.readFully(q);
                r.vectors.addLast(q);
            }
        }
        while (r.vectors.size() > window) {
            r.vectors.removeFirst();
        }
        return r;
    }
}
