package dev.blt.bltstage;

import dev.blt.patching.AlignedBlocks;
import dev.blt.patching.VersionedSnapshot;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The BLT stage of one stream (or one record): embeddings and predictions per patch, exact under
 * any arrival pattern. It applies the aligned-block scheme of the patcher to patch indices: the
 * outputs of patch p come from one causal pass over the context patches before p's block, then the
 * block's patches up to p. State: at most context + block patches.
 *
 * <p>Use: {@link #add} closed patches, run {@link #windowsToRun()} (batched with other streams),
 * then {@link #accept} returns the new patches' outputs in order.
 *
 * <p>Records in context ({@code RecordContext.CARRY}): {@link #endRecord()} after a record's last
 * patch adds the record separator as a patch of its own, context only: it is in later windows but
 * has no output, and the next record's patches are numbered from 0 again.
 */
public final class BltStage {

    private final BltStageSettings settings;
    private long nextIndex;                   // patches added so far
    private long encodedUpTo;                 // patches with outputs handed out
    private long heldFrom;                    // index of held.get(0)
    private final List<byte[]> held = new ArrayList<>();
    private final java.util.ArrayDeque<Long> separators = new java.util.ArrayDeque<>(); // indices of held separator patches
    private long nextOutputIndex;             // record-relative index of the next patch to be output

    public BltStage(BltStageSettings settings) {
        this.settings = settings;
    }

    public void add(byte[] patchBytes) {
        held.add(patchBytes);
        nextIndex++;
    }

    /** Ends a record: the separator follows it, in the context of later patches only. */
    public void endRecord() {
        separators.addLast(nextIndex);
        add(new byte[] {settings.recordSeparator()});
    }

    /** Patches added so far, separators included. */
    public long patchesAdded() {
        return nextIndex;
    }

    public int heldPatches() {
        return held.size();
    }

    /**
     * One pass: patches [contextStart, end), BOS first when the window starts the document.
     * patchStart holds each patch's first token position.
     */
    public record Window(long blockStart, long contextStart, boolean bos, long end, long[] tokens, long[] patchStart) {
    }

    public List<Window> windowsToRun() {
        List<Window> windows = new ArrayList<>();
        AlignedBlocks blocks = settings.blocks();
        for (long block = blocks.blockOf(encodedUpTo); blocks.startOf(block) < nextIndex; block++) {
            windows.add(window(blocks.pass(block, nextIndex)));
        }
        return windows;
    }

    private Window window(AlignedBlocks.Pass pass) {
        long contextStart = pass.contextStart();
        long end = pass.end();
        boolean bos = pass.bos();
        int shift = bos ? 1 : 0;
        int patches = (int) (end - contextStart);
        int length = shift;
        for (long p = contextStart; p < end; p++) {
            length += patch(p).length;
        }
        long[] tokens = new long[length];
        long[] starts = new long[shift + patches];
        if (bos) {
            tokens[0] = settings.bosToken();
        }
        int position = shift;
        for (int i = 0; i < patches; i++) {
            starts[shift + i] = position;
            for (byte x : patch(contextStart + i)) {
                tokens[position++] = (x & 0xFF) + settings.byteOffset();
            }
        }
        return new Window(pass.start(), contextStart, bos, end, tokens, starts);
    }

    private byte[] patch(long index) {
        return held.get((int) (index - heldFrom));
    }

    /** Outputs of every patch not yet encoded, from the scores of {@link #windowsToRun()}. */
    public List<PatchOutputs> accept(List<Window> windows, List<BltScorer.Outputs> outputs) {
        if (windows.size() != outputs.size()) {
            throw new IllegalArgumentException("got " + outputs.size() + " outputs for " + windows.size() + " windows");
        }
        List<PatchOutputs> encoded = new ArrayList<>();
        for (int w = 0; w < windows.size(); w++) {
            Window window = windows.get(w);
            BltScorer.Outputs out = outputs.get(w);
            int shift = window.bos() ? 1 : 0;
            for (long p = Math.max(encodedUpTo, window.blockStart()); p < window.end(); p++) {
                if (separators.contains(p)) {
                    nextOutputIndex = 0;
                    continue;
                }
                int local = (int) (p - window.contextStart()) + shift;
                int first = (int) window.patchStart()[local];
                int length = patch(p).length;
                float[] logprobs = Arrays.copyOfRange(out.nextLogprob(), first - 1, first - 1 + length);
                PatchOutputs.Prompt prompt = new PatchOutputs.Prompt(Arrays.copyOf(window.tokens(), first + length),
                        Arrays.copyOf(window.patchStart(), local + 1));
                encoded.add(new PatchOutputs(nextOutputIndex++, out.patchEmbedding()[local], logprobs,
                        out.patchEndLogprobs()[local], prompt));
            }
        }
        encodedUpTo = nextIndex;
        trim();
        return encoded;
    }

    /** Drops patches no future window needs. */
    private void trim() {
        long keepFrom = settings.blocks().keepFrom(nextIndex);
        while (heldFrom < keepFrom) {
            held.remove(0);
            heldFrom++;
        }
        while (!separators.isEmpty() && separators.peekFirst() < heldFrom) {
            separators.removeFirst();
        }
    }

    /** 2 added the next output index and the held separators; 1 (one document) is still read. */
    private static final int SNAPSHOT_VERSION = 2;
    private static final String STATE = "BLT stage state";

    public byte[] snapshot() {
        return snapshot(SNAPSHOT_VERSION);
    }

    /**
     * The state in the layout of a format version. Only the current one is written in production;
     * version 1 exists so that the format tests can pin it (it lacks what its reader does without:
     * the next output index, which it takes to be the encoded count, and record separators).
     */
    byte[] snapshot(int version) {
        return VersionedSnapshot.write(STATE, version, SNAPSHOT_VERSION, 64, this::writeBody);
    }

    private void writeBody(DataOutputStream out, int version) throws IOException {
        out.writeLong(nextIndex);
        out.writeLong(encodedUpTo);
        out.writeLong(heldFrom);
        out.writeInt(held.size());
        for (byte[] p : held) {
            out.writeInt(p.length);
            out.write(p);
        }
        if (version >= 2) {
            out.writeLong(nextOutputIndex);
            VersionedSnapshot.writePositions(out, separators);
        }
    }

    /** Fills this fresh instance from a snapshot body in the layout of {@code version}. */
    private BltStage readBody(DataInputStream in, int version) throws IOException {
        nextIndex = in.readLong();
        encodedUpTo = in.readLong();
        heldFrom = in.readLong();
        int n = in.readInt();
        if (n < 0 || n > in.available() / 4) { // each held patch: a length, then its bytes
            throw new IllegalStateException("corrupt BLT stage state: it claims " + n
                    + " held patches but holds only " + in.available() + " more bytes");
        }
        for (int i = 0; i < n; i++) {
            int length = in.readInt();
            if (length < 0 || length > in.available()) { // checked before it is allocated
                throw new IllegalStateException("corrupt BLT stage state: a held patch claims " + length
                        + " bytes but only " + in.available() + " are left");
            }
            byte[] p = new byte[length];
            in.readFully(p);
            held.add(p);
        }
        nextOutputIndex = encodedUpTo;
        if (version >= 2) {
            nextOutputIndex = in.readLong();
            VersionedSnapshot.readPositions(in, separators, STATE);
        }
        return this;
    }

    public static BltStage restore(BltStageSettings settings, byte[] snapshot) {
        return VersionedSnapshot.read(STATE, SNAPSHOT_VERSION, snapshot, (in, version) -> new BltStage(settings).readBody(in, version));
    }
}
