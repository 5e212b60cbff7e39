package dev.blt.bltstage;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Running anomaly signal of one record: its mean bits per byte under BLT and its most surprising
 * patch. Patches may arrive over several bundles, so this travels in keyed state.
 */
public final class RecordSurprise {

    private long bytes;
    private long patches;
    private double bits;
    private long maxPatchIndex = -1;
    private double maxBitsPerByte = Double.NEGATIVE_INFINITY;

    public void add(PatchOutputs patch) {
        bytes += patch.byteLogprobs().length;
        patches++;
        bits += patch.bits();
        if (patch.bitsPerByte() > maxBitsPerByte) {
            maxBitsPerByte = patch.bitsPerByte();
            maxPatchIndex = patch.patchIndex();
        }
    }

    public long bytes() {
        return bytes;
    }

    public long patches() {
        return patches;
    }

    public double meanBitsPerByte() {
        return bytes == 0 ? 0 : bits / bytes;
    }

    public long maxPatchIndex() {
        return maxPatchIndex;
    }

    public double maxBitsPerByte() {
        return maxBitsPerByte;
    }

    /** Five longs: bytes, patches, bits, most surprising patch, its bits per byte (document state v1 on). */
    public void writeTo(DataOutput out) throws IOException {
        out.writeLong(bytes);
        out.writeLong(patches);
        out.writeDouble(bits);
        out.writeLong(maxPatchIndex);
        out.writeDouble(maxBitsPerByte);
    }

    public static RecordSurprise readFrom(DataInput in) throws IOException {
        RecordSurprise r = new RecordSurprise();
        r.bytes = in.readLong();
        r.patches = in.readLong();
        r.bits = in.readDouble();
        r.maxPatchIndex = in.readLong();
        r.maxBitsPerByte = in.readDouble();
        return r;
    }
}
