package dev.blt.bltstage;

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

    public long[] toLongs() {
        return new long[] {bytes, patches, Double.doubleToLongBits(bits), maxPatchIndex,
                Double.doubleToLongBits(maxBitsPerByte)};
    }

    public static RecordSurprise fromLongs(long[] v) {
        RecordSurprise r = new RecordSurprise();
        r.bytes = v[0];
        r.patches = v[1];
        r.bits = Double.longBitsToDouble(v[2]);
        r.maxPatchIndex = v[3];
        r.maxBitsPerByte = Double.longBitsToDouble(v[4]);
        return r;
    }
}
