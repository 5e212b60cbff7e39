package dev.blt.patching;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Deque;

/**
 * The frame of the patcher's and the BLT stage's keyed-state snapshots: the format version first,
 * so that a reader knows which layout follows and every earlier one stays readable (each
 * version's bytes are pinned by a test file), then the body, which the state class writes and reads.
 * Also the one encoding of their pending record-separator positions.
 */
public final class VersionedSnapshot {

    /** Writes a snapshot's body in the layout of a version. */
    public interface Body {
        void write(DataOutputStream out, int version) throws IOException;
    }

    /** Reads a snapshot's body, written in the layout of a version. */
    public interface Reader<T> {
        T read(DataInputStream in, int version) throws IOException;
    }

    private VersionedSnapshot() {
    }

    /**
     * The bytes of a snapshot in the layout of version (1 to current).
     *
     * @param what the state, for messages ("patcher state")
     */
    public static byte[] write(String what, int version, int current, int sizeHint, Body body) {
        if (version < 1 || version > current) {
            throw new IllegalArgumentException("no " + what + " version " + version);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(sizeHint);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(version);
            body.write(out, version);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Reads a snapshot of any version from 1 to current; a truncated or unknown one fails with what it is. */
    public static <T> T read(String what, int current, byte[] snapshot, Reader<T> reader) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
            int version = in.readInt();
            if (version < 1 || version > current) {
                throw new IllegalStateException("unknown " + what + " version " + version);
            }
            return reader.read(in, version);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt " + what, e);
        }
    }

    /** Pending separator positions: their count, then each. */
    public static void writePositions(DataOutputStream out, Collection<Long> positions) throws IOException {
        out.writeInt(positions.size());
        for (long position : positions) {
            out.writeLong(position);
        }
    }

    /** Reads what {@link #writePositions} wrote into {@code into}, checking the count before it reads. */
    public static void readPositions(DataInputStream in, Deque<Long> into, String what) throws IOException {
        int count = in.readInt();
        if (count < 0 || 8L * count > in.available()) {
            throw new IllegalStateException("corrupt " + what + ": it claims " + count + " separators");
        }
        for (int i = 0; i < count; i++) {
            into.addLast(in.readLong());
        }
    }
}
