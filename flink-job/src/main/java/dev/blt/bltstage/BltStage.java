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
 * <p>A sliding-window BLT ({@link BltStageSettings#rolling()}) runs instead from a rolling cache
 * ({@link BltRollingCache}): each window is the stream's next whole patches, scored once from the
 * keys and values of what came before. The stage then holds the patches the next outputs depend on
 * (the BLT's receptive field) and, without a cache (a restore, an eviction), runs them again first.
 *
 * <p>Records in context ({@code RecordContext.CARRY}): {@link #endRecord()} after a record's last
 * patch adds the record separator as a patch of its own, context only: it is in later windows but
 * has no output, and the next record's patches are numbered from 0 again.
 */
public final class BltStage {

    private static final java.security.SecureRandom OWNERS = new java.security.SecureRandom();

    private final BltStageSettings settings;
    private long nextIndex;                   // patches added so far
    private long encodedUpTo;                 // patches with outputs handed out
    private long heldFrom;                    // index of held.get(0)
    private final List<byte[]> held = new ArrayList<>();
    private final java.util.ArrayDeque<Long> separators = new java.util.ArrayDeque<>(); // indices of held separator patches
    private long nextOutputIndex;             // record-relative index of the next patch to be output
    private long heldFromByte;                // stream offset of held.get(0)'s first byte (separators count)
    private long owner = OWNERS.nextLong();   // tells this stage's rolling caches from any other's
    private BltRollingCache cache;            // rolling BLT: what the next window continues from; transient

    public BltStage(BltStageSettings settings) {
        this.settings = settings;
    }

    /** The id a rolling cache of this stage carries (kept through snapshots). */
    public long owner() {
        return owner;
    }

    /** The rolling cache the next window continues from, or null (then the held patches run again). */
    public BltRollingCache cache() {
        return cache;
    }

    /**
     * Hands this stage a rolling cache kept outside it (the operator's, across bundles): taken only
     * when it is this stage's own and continues exactly where the stage's outputs end.
     */
    public void attach(BltRollingCache kept) {
        if (kept != null && kept.owner() == owner && kept.nextPatch() == encodedUpTo) {
            cache = kept;
        }
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

    /** Bytes of the held patches. */
    public int heldBytes() {
        return held.stream().mapToInt(p -> p.length).sum();
    }

    /**
     * One pass: patches [contextStart, end), BOS first when the window starts the document.
     * patchStart holds each patch's first token position.
     */
    public record Window(long blockStart, long contextStart, boolean bos, long end, long[] tokens, long[] patchStart,
                         Rolling rolling) {

        /** A window of the one-pass graph. */
        public Window(long blockStart, long contextStart, boolean bos, long end, long[] tokens, long[] patchStart) {
            this(blockStart, contextStart, bos, end, tokens, patchStart, null);
        }
    }

    /**
     * A window of the rolling graph: its first token's stream position (BOS is 0), its first patch's
     * (the BOS patch is 0), and the cache it continues from (null: nothing before it is known).
     */
    public record Rolling(long bytePos, long patchPos, long owner, BltRollingCache cache) {
    }

    public List<Window> windowsToRun() {
        if (encodedUpTo >= nextIndex) {
            return List.of(); // every patch has its outputs
        }
        if (settings.rolling() != null) {
            return rollingWindows();
        }
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

    /**
     * The next rolling call, or none when every patch has its outputs: whole patches from where the
     * cache ends (from the first held patch without one), up to the call's token bound. A long
     * stretch takes several calls, one after the other ({@link BatchedBltStages#runAll} loops).
     */
    private List<Window> rollingWindows() {
        boolean continues = cache != null && cache.owner() == owner && cache.nextPatch() >= heldFrom
                && cache.nextPatch() <= encodedUpTo;
        long from = continues ? cache.nextPatch() : heldFrom;
        boolean bos = from == 0;
        int shift = bos ? 1 : 0;
        int bound = settings.rolling().maxCallTokens();
        long end = from;
        int length = shift;
        while (end < nextIndex && (end == from || length + patch(end).length <= bound)) {
            length += patch(end++).length;
        }
        long[] tokens = new long[length];
        long[] starts = new long[shift + (int) (end - from)];
        if (bos) {
            tokens[0] = settings.bosToken();
        }
        int position = shift;
        for (long p = from; p < end; p++) {
            starts[shift + (int) (p - from)] = position;
            for (byte x : patch(p)) {
                tokens[position++] = (x & 0xFF) + settings.byteOffset();
            }
        }
        long bytePos = bos ? 0 : byteOffsetOf(from) + 1;  // BOS is position 0, and the BOS patch patch 0
        long patchPos = bos ? 0 : from + 1;
        return List.of(new Window(encodedUpTo, from, bos, end, tokens, starts,
                new Rolling(bytePos, patchPos, owner, continues ? cache : null)));
    }

    /** Stream offset of a held patch's first byte. */
    private long byteOffsetOf(long index) {
        long offset = heldFromByte;
        for (long p = heldFrom; p < index; p++) {
            offset += patch(p).length;
        }
        return offset;
    }

    /** The held patch that holds stream byte {@code offset}; the first held one before them, the next after. */
    private long patchOfByte(long offset) {
        long start = heldFromByte;
        for (long p = heldFrom; p < nextIndex; p++) {
            start += patch(p).length;
            if (offset < start) {
                return p;
            }
        }
        return nextIndex;
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
            // A greedy continuation's prompt: this window, or for a rolling one every held patch (the
            // one-pass graph needs the context the cache stood for), shared by the window's patches.
            Window prompts = window.rolling() == null ? window : heldWindow(window.end());
            int promptShift = prompts.bos() ? 1 : 0;
            for (long p = Math.max(encodedUpTo, window.blockStart()); p < window.end(); p++) {
                if (separators.contains(p)) {
                    nextOutputIndex = 0;
                    continue;
                }
                int local = (int) (p - window.contextStart()) + shift;
                int first = (int) window.patchStart()[local];
                int length = patch(p).length;
                float[] logprobs = new float[length];
                if (first > 0) {
                    System.arraycopy(out.nextLogprob(), first - 1, logprobs, 0, length);
                } else { // a rolling window's first byte: scored by the distribution the cache kept
                    if (window.rolling().cache() == null) {
                        throw new IllegalStateException("a rolling window without BOS or cache cannot score its first byte");
                    }
                    logprobs[0] = window.rolling().cache().endLogprobs()[(int) window.tokens()[0]];
                    System.arraycopy(out.nextLogprob(), 0, logprobs, 1, length - 1);
                }
                int promptPatch = (int) (p - prompts.contextStart()) + promptShift;
                PatchOutputs.Prompt prompt = new PatchOutputs.Prompt(prompts.tokens(), prompts.patchStart(),
                        (int) prompts.patchStart()[promptPatch] + length, promptPatch + 1);
                encoded.add(new PatchOutputs(nextOutputIndex++, out.patchEmbedding()[local], logprobs,
                        out.patchEndLogprobs()[local], prompt));
            }
            if (window.rolling() != null) {
                cache = out.next();
                encodedUpTo = Math.max(encodedUpTo, window.end());
            }
        }
        if (settings.rolling() == null) {
            encodedUpTo = nextIndex;
        }
        if (encodedUpTo == nextIndex) {
            trim();
        }
        return encoded;
    }

    /** Every held patch up to {@code end} as one one-pass window (BOS first when it starts the stream). */
    private Window heldWindow(long end) {
        return window(new dev.blt.patching.AlignedBlocks.Pass(heldFrom, heldFrom, heldFrom == 0, end));
    }

    /** Drops patches no future window needs. */
    private void trim() {
        long keepFrom = settings.rolling() != null ? rollingKeepFrom() : settings.blocks().keepFrom(nextIndex);
        while (heldFrom < keepFrom) {
            heldFromByte += held.remove(0).length;
            heldFrom++;
        }
        while (!separators.isEmpty() && separators.peekFirst() < heldFrom) {
            separators.removeFirst();
        }
    }

    /**
     * The first patch a rolling stage must keep: the outputs of the patches still to come read the
     * decoder inputs of the last {@link BltRollingShape#decoderReach()} bytes, which read the latent
     * states of their patches' predecessors, which read {@link BltRollingShape#latentReach()} patches
     * more, whose encoder states read {@link BltRollingShape#encoderReach()} bytes more. A cache rebuilt
     * from there gives every later output as if the stream had been run whole.
     */
    private long rollingKeepFrom() {
        BltRollingShape shape = settings.rolling();
        long end = byteOffsetOf(nextIndex);
        long decoded = end - shape.decoderReach();
        long pooledFrom = patchOfByte(decoded) - 1 - shape.latentReach();
        if (decoded < heldFromByte || pooledFrom <= heldFrom) {
            return heldFrom;
        }
        long encoded = Math.min(byteOffsetOf(pooledFrom), decoded) - shape.encoderReach();
        return encoded < heldFromByte ? heldFrom : patchOfByte(encoded);
    }

    /**
     * 3 added the first held patch's stream offset and the cache owner; 2 added the next output index
     * and the held separators; 1 (one document) is still read.
     */
    private static final int SNAPSHOT_VERSION = 3;
    private static final String STATE = "BLT stage state";

    public byte[] snapshot() {
        return snapshot(SNAPSHOT_VERSION);
    }

    /**
     * The state in the layout of a format version. Only the current one is written in production
     * (and version 2 inside document states of their older layouts); version 1 exists so that the
     * format tests can pin it (it lacks what its reader does without: the next output index, which
     * it takes to be the encoded count, and record separators). Version 2 lacks the first held
     * patch's stream offset (read as 0: only a rolling stage's positions use it, and those are
     * relative) and the cache owner (a new one is drawn).
     */
    public byte[] snapshot(int version) {
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
        if (version >= 3) {
            out.writeLong(heldFromByte);
            out.writeLong(owner);
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
        if (version >= 3) {
            heldFromByte = in.readLong();
            owner = in.readLong();
        }
        return this;
    }

    public static BltStage restore(BltStageSettings settings, byte[] snapshot) {
        return VersionedSnapshot.read(STATE, SNAPSHOT_VERSION, snapshot, (in, version) -> new BltStage(settings).readBody(in, version));
    }
}
