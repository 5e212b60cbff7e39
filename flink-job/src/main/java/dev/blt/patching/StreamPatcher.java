package dev.blt.patching;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Live patching of one byte stream, exact under any chunking (docs/DESIGN.md, "Streaming invariant").
 *
 * <p>The entropy H_t of byte t in block k = t / B is the last output of one causal pass over
 * [BOS if kB <= C] + bytes[max(0, kB - C), t). Windows are fixed by absolute offset, never by
 * arrival, so the same H_t comes out whether the block arrived whole or byte by byte. H_t needs
 * only the bytes before t, so after scoring the patcher also knows the entropy of the next,
 * not-yet-arrived byte, and closes a patch the moment its last byte arrives.
 *
 * <p>A sliding-window entropy model ({@link PatcherSettings#rolling()}) needs no blocks: H_t is
 * the output at stream position t (BOS is position 0, byte i position i + 1) of the rolling graph,
 * which a {@link RollingCache} continues one call after another, and which depends on the
 * L * (W - 1) positions before t only, however the stream was cut into calls.
 *
 * <p>Use: {@link #append}, then score {@link #windowsToScore()} (batched with other streams),
 * {@link #acceptScores}, then {@link #drain()} the closed patches; with a rolling cache
 * {@link #rollingCall()} and {@link #acceptRolling} take the place of the windows
 * ({@link BatchScoring} does either). State is bounded by C + B bytes (or L * (W - 1)) plus the
 * open patch, and round-trips through {@link #snapshot()}.
 *
 * <p>A patcher may start a stream afresh part-way ({@link #startAfresh}, a model rollout to other
 * windows): it then patches the bytes from that offset on as a new stream, and only adds the
 * offset and the patch count reached there to what it reports (offsets, patch indices).
 */
public final class StreamPatcher {

    private final PatcherSettings settings;

    private long received;      // bytes appended so far
    private long scoredUpTo;    // H_t known for t < scoredUpTo (may reach received + 1: the lookahead)
    private long logprobUpTo;   // log p(byte t) known for t < logprobUpTo
    private long ruled;         // bytes already placed in patches

    // Bytes [bufferStart, received) and their scores, aligned; one extra slot for the lookahead H.
    private long bufferStart;
    private byte[] buffer = new byte[0];
    private float[] entropy = new float[1];
    private float[] logprob = new float[1];
    private int bufferLength;

    private long openStart;
    private byte[] openBytes;
    private float[] openEntropy;
    private float[] openLogprob;
    private int openLength;
    private long nextPatchIndex;
    private float previousEntropy = Float.NaN;
    // Where this patcher took the stream over afresh: added to the offsets and patch indices it reports.
    private long offsetBase;
    private long patchIndexBase;
    // Positions of context-only separators (see endRecord) not yet ruled, in order.
    private final java.util.ArrayDeque<Long> separators = new java.util.ArrayDeque<>();
    // The open block's window as attention keys and values; transient (see WindowCache).
    private WindowCache cache;
    // With a sliding-window model: the window before the last position run; transient (see RollingCache).
    private RollingCache rollingCache;

    public StreamPatcher(PatcherSettings settings) {
        this.settings = settings;
        int max = settings.rule().maxPatchLength();
        this.openBytes = new byte[max];
        this.openEntropy = new float[max];
        this.openLogprob = new float[max];
    }

    /** Bytes of the stream received so far (its offset, counting those before an afresh start). */
    public long received() {
        return offsetBase + received;
    }

    /** Bytes held in state: the context tail plus unpatched bytes; the open patch is on top. */
    public int bufferedBytes() {
        return bufferLength;
    }

    /** Index the next patch to close will have. */
    public long nextPatchIndex() {
        return patchIndexBase + nextPatchIndex;
    }

    public int openPatchLength() {
        return openLength;
    }

    public void append(byte[] data) {
        append(data, 0, data.length);
    }

    public void append(byte[] data, int offset, int length) {
        ensureCapacity(bufferLength + length);
        System.arraycopy(data, offset, buffer, bufferLength, length);
        bufferLength += length;
        received += length;
    }

    /**
     * Ends a record while keeping its bytes as context for the next one: the open patch closes
     * (END_OF_RECORD) before the next byte, so patches never span records, and the settings'
     * record separator follows the record in the model's context only, never in a patch. Patch
     * offsets stay in stream positions, which count the separators ({@link RecordSpans} maps them
     * back to records).
     */
    public void endRecord() {
        separators.addLast(received);
        append(new byte[] {settings.recordSeparator()}, 0, 1);
    }

    /** A pass the entropy model must run before {@link #drain()}. */
    public record Window(long blockStart, long contextStart, boolean bos, long end, long[] tokens) {
    }

    /** The windows whose scores are missing, oldest block first; empty when up to date. */
    public List<Window> windowsToScore() {
        List<Window> windows = new ArrayList<>();
        if (received == 0 || (logprobUpTo >= received && scoredUpTo > received)) {
            return windows;
        }
        AlignedBlocks blocks = settings.blocks();
        for (long block = blocks.blockOf(logprobUpTo); block <= blocks.blockOf(received); block++) {
            AlignedBlocks.Pass pass = blocks.pass(block, received);
            windows.add(new Window(pass.start(), pass.contextStart(), pass.bos(), pass.end(),
                    tokens(pass.contextStart(), pass.end(), pass.bos())));
        }
        return windows;
    }

    private long[] tokens(long from, long to, boolean bos) {
        int head = bos ? 1 : 0;
        long[] tokens = new long[head + (int) (to - from)];
        if (bos) {
            tokens[0] = settings.bosToken();
        }
        int base = (int) (from - bufferStart);
        for (int i = 0; i < to - from; i++) {
            tokens[head + i] = (buffer[base + i] & 0xFF) + settings.byteOffset();
        }
        return tokens;
    }

    /** True for a window of a block not yet full: more bytes will be scored in it. */
    boolean isOpenBlock(Window window) {
        return window.end() < window.blockStart() + settings.blockBytes();
    }

    /** Heap held by the window or rolling cache (0 without one). */
    public long cacheBytes() {
        return (cache == null ? 0 : cache.bytes()) + (rollingCache == null ? 0 : rollingCache.bytes());
    }

    /**
     * The next call of the rolling graph this stream needs before {@link #drain()}, or null when
     * its scores are up to date. Without a cache (a new stream, a restore, an eviction) a new one
     * starts L * (W - 1) positions before the first output still needed, so that every output still
     * needed comes out exact.
     */
    public RollingScorer.Call rollingCall() {
        RollingWindow window = settings.rolling();
        if (received == 0 || scoredUpTo > received) {
            return null;
        }
        if (rollingCache == null) {
            // The first output still needed is at position min(scoredUpTo, logprobUpTo): its entropy, or
            // the log-probability of the byte there (usually scoredUpTo - 1; scoredUpTo itself after
            // forgetLookahead). It depends on the receptive field before it, which trim() keeps.
            rollingCache = new RollingCache(Math.max(0, Math.min(scoredUpTo, logprobUpTo) - window.receptiveField()));
        }
        long start = rollingCache.end();
        long stop = window.callEnd(start, received + 1);
        long[] tokens = new long[(int) (stop - start)];
        for (long p = start; p < stop; p++) {
            tokens[(int) (p - start)] = p == 0 ? settings.bosToken()
                    : (buffer[(int) (p - 1 - bufferStart)] & 0xFF) + settings.byteOffset();
        }
        return new RollingScorer.Call(start, tokens, rollingCache, rollingCache.logprobOfNext(tokens[0]));
    }

    /** Takes the outputs of {@code call} (as returned by {@link #rollingCall()}); the cache has rolled on. */
    public void acceptRolling(RollingScorer.Call call, EntropyScorer.Scores scores) {
        long start = call.start();
        long stop = start + call.tokens().length;
        if (start >= 1 && start - 1 >= logprobUpTo && !Float.isNaN(call.logprobOfFirst())) {
            logprob[(int) (start - 1 - bufferStart)] = call.logprobOfFirst(); // byte start - 1, after the last call
        }
        for (long p = start; p < stop; p++) {
            int i = (int) (p - start);
            if (p >= scoredUpTo) {
                entropy[(int) (p - bufferStart)] = scores.entropy()[i]; // H of byte p: what follows position p
            }
            if (p >= logprobUpTo && p + 1 < stop) {
                logprob[(int) (p - bufferStart)] = scores.nextLogprob()[i];
            }
        }
        scoredUpTo = Math.max(scoredUpTo, stop);
        logprobUpTo = Math.max(logprobUpTo, stop - 1);
    }

    /**
     * Scores the open block's window with the incremental graph, continuing the cached window when
     * it holds exactly the bytes scored so far, else from its first token.
     */
    EntropyScorer.Scores scoreByStep(Window window, StepScorer stepper) {
        int shift = window.bos() ? 1 : 0;
        boolean continues = cache != null && cache.blockStart() == window.blockStart() && cache.end() == logprobUpTo
                && cache.end() < window.end();
        int from = continues ? (int) (cache.end() - window.contextStart()) + shift : 0;
        if (!continues) {
            cache = new WindowCache(window.blockStart());
        }
        long[] tokens = window.tokens();
        long[] fresh = Arrays.copyOfRange(tokens, from, tokens.length);
        float[] before = cache.lastLogp();
        EntropyScorer.Scores step = stepper.step(fresh, cache);
        float[] entropies = new float[tokens.length];
        float[] logprobs = new float[tokens.length];
        System.arraycopy(step.entropy(), 0, entropies, from, fresh.length);
        System.arraycopy(step.nextLogprob(), 0, logprobs, from, fresh.length);
        if (from > 0) {
            logprobs[from - 1] = before[(int) fresh[0]]; // the first new byte, after the cached ones
        }
        cache.setEnd(window.end());
        return new EntropyScorer.Scores(entropies, logprobs);
    }

    /** Takes the model's outputs for {@code windows} (as returned by {@link #windowsToScore()}). */
    public void acceptScores(List<Window> windows, List<EntropyScorer.Scores> scores) {
        if (windows.size() != scores.size()) {
            throw new IllegalArgumentException("got " + scores.size() + " scores for " + windows.size() + " windows");
        }
        int b = settings.blockBytes();
        for (int w = 0; w < windows.size(); w++) {
            Window window = windows.get(w);
            EntropyScorer.Scores s = scores.get(w);
            int shift = window.bos() ? 1 : 0;
            long lastEntropy = Math.min(window.end(), window.blockStart() + b - 1);
            for (long t = Math.max(window.blockStart(), scoredUpTo); t <= lastEntropy; t++) {
                entropy[(int) (t - bufferStart)] = s.entropy()[(int) (t - window.contextStart() - 1 + shift)];
            }
            for (long t = Math.max(window.blockStart(), logprobUpTo); t < window.end(); t++) {
                logprob[(int) (t - bufferStart)] = s.nextLogprob()[(int) (t - window.contextStart() - 1 + shift)];
            }
        }
        scoredUpTo = received + 1;
        logprobUpTo = received;
        if (cache != null && cache.end() != received) {
            cache = null; // its block is full, or it was not used: the next bytes start another window
        }
    }

    /** Applies the rule to every scored byte; returns the patches that closed, in order. */
    public List<ClosedPatch> drain() {
        if (received > 0 && scoredUpTo <= received) {
            throw new IllegalStateException("drain() before the pending windows were scored");
        }
        List<ClosedPatch> closed = new ArrayList<>();
        PatchingRule rule = settings.rule();
        while (ruled < received) {
            int i = (int) (ruled - bufferStart);
            if (!separators.isEmpty() && separators.peekFirst() == ruled) {
                if (openLength > 0) {
                    // The rule's reason if the separator's entropy would have closed it anyway, as the
                    // look-ahead does when the record's end is drained before the separator arrives.
                    CloseReason reason = rule.startsNewPatch(entropy[i], previousEntropy, openLength);
                    closed.add(closeOpenPatch(reason != null ? reason : CloseReason.END_OF_RECORD));
                }
                separators.removeFirst();
                previousEntropy = Float.NaN; // the next record starts afresh for the monotonic rule
                ruled++;
                continue;
            }
            float h = entropy[i];
            CloseReason reason = rule.startsNewPatch(h, previousEntropy, openLength);
            if (reason != null) {
                closed.add(closeOpenPatch(reason));
            }
            if (openLength == 0) {
                openStart = ruled;
            }
            openBytes[openLength] = buffer[i];
            openEntropy[openLength] = h;
            openLogprob[openLength] = logprob[i];
            openLength++;
            previousEntropy = h;
            ruled++;
        }
        // The next byte's entropy is already known: close now if that byte will start a patch.
        if (openLength > 0) {
            CloseReason reason = rule.startsNewPatch(entropy[(int) (received - bufferStart)], previousEntropy, openLength);
            if (reason != null) {
                closed.add(closeOpenPatch(reason));
            }
        }
        trim();
        return closed;
    }

    /**
     * Forgets the entropy of the next, not yet received byte (the lookahead), so that another model
     * scores it: after a model switch, every byte from {@link #received()} on is the new model's. Call
     * after {@link #finish} closed the open patch there, so that no decision rests on the old score.
     */
    public void forgetLookahead() {
        if (openLength > 0 || ruled < received) {
            throw new IllegalStateException("forgetLookahead() with an open patch or undrained bytes");
        }
        scoredUpTo = Math.min(scoredUpTo, received);
        cache = null;
        rollingCache = null;
    }

    /** Closes the open patch from outside (end of record or stream, idle flush); empty if none. */
    public List<ClosedPatch> finish(CloseReason reason) {
        if (ruled < received) {
            throw new IllegalStateException("finish() with " + (received - ruled) + " bytes not yet drained");
        }
        return openLength == 0 ? List.of() : List.of(closeOpenPatch(reason));
    }

    private ClosedPatch closeOpenPatch(CloseReason reason) {
        ClosedPatch patch = new ClosedPatch(patchIndexBase + nextPatchIndex++, offsetBase + openStart, Arrays.copyOf(openBytes, openLength),
                Arrays.copyOf(openEntropy, openLength), Arrays.copyOf(openLogprob, openLength), reason);
        openLength = 0;
        return patch;
    }

    /**
     * Drops bytes no future window needs: keep from the context start of the next window's block,
     * or, with a rolling cache, the bytes a rebuilt cache runs again (see {@link #rollingCall()}).
     */
    private void trim() {
        long needed = settings.rolling() == null ? settings.blocks().keepFrom(logprobUpTo)
                : Math.max(0, scoredUpTo - 2 - settings.rolling().receptiveField());
        long keepFrom = Math.min(ruled, needed);
        int drop = (int) (keepFrom - bufferStart);
        if (drop <= 0) {
            return;
        }
        System.arraycopy(buffer, drop, buffer, 0, bufferLength - drop);
        System.arraycopy(entropy, drop, entropy, 0, bufferLength - drop + 1);
        System.arraycopy(logprob, drop, logprob, 0, bufferLength - drop + 1);
        bufferLength -= drop;
        bufferStart = keepFrom;
    }

    private void ensureCapacity(int length) {
        if (buffer.length < length) {
            int capacity = Math.max(length, buffer.length * 2);
            buffer = Arrays.copyOf(buffer, capacity);
            entropy = Arrays.copyOf(entropy, capacity + 1);
            logprob = Arrays.copyOf(logprob, capacity + 1);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // State snapshot, for Flink keyed state. Format version first, so a change can be detected.
    // ---------------------------------------------------------------------------------------------

    /**
     * 4 adds where an afresh start took the stream over (offset and patch index, at the end); 3
     * keeps scores only from the first unruled byte on (the context bytes before it are only ever
     * model input: at C = 512 that is most of the buffer); 2 added the pending separators at the
     * end; 1 to 3 are still read.
     */
    private static final int SNAPSHOT_VERSION = 4;
    private static final String STATE = "patcher state";

    public byte[] snapshot() {
        return snapshot(SNAPSHOT_VERSION);
    }

    /**
     * The state in the layout of a format version. Only the current one is written in production;
     * the earlier layouts exist so that the format tests can pin them (what they lack is what their
     * reader does without: scores before the first unruled byte, pending separators).
     */
    byte[] snapshot(int version) {
        return VersionedSnapshot.write(STATE, version, SNAPSHOT_VERSION, 64 + bufferLength * 9 + openLength * 9,
                this::writeBody);
    }

    private void writeBody(DataOutputStream out, int version) throws IOException {
        out.writeLong(received);
        out.writeLong(scoredUpTo);
        out.writeLong(logprobUpTo);
        out.writeLong(ruled);
        out.writeLong(bufferStart);
        out.writeInt(bufferLength);
        out.write(buffer, 0, bufferLength);
        int scoresFrom = 0;
        if (version >= 3) {
            scoresFrom = (int) (ruled - bufferStart);
            out.writeInt(scoresFrom);
        }
        for (int i = scoresFrom; i <= bufferLength; i++) {
            out.writeFloat(entropy[i]);
            out.writeFloat(logprob[i]);
        }
        out.writeLong(openStart);
        out.writeInt(openLength);
        out.write(openBytes, 0, openLength);
        for (int i = 0; i < openLength; i++) {
            out.writeFloat(openEntropy[i]);
            out.writeFloat(openLogprob[i]);
        }
        out.writeLong(nextPatchIndex);
        out.writeFloat(previousEntropy);
        if (version >= 2) {
            VersionedSnapshot.writePositions(out, separators);
        }
        if (version >= 4) {
            out.writeLong(offsetBase);
            out.writeLong(patchIndexBase);
        }
    }

    /** Fills this fresh instance from a snapshot body in the layout of {@code version}. */
    private StreamPatcher readBody(DataInputStream in, int version) throws IOException {
        received = in.readLong();
        scoredUpTo = in.readLong();
        logprobUpTo = in.readLong();
        ruled = in.readLong();
        bufferStart = in.readLong();
        bufferLength = in.readInt();
        // Checked before anything is allocated for it: a byte per buffered byte, then two scores
        // per scored byte and the lookahead's two.
        if (bufferLength < 0 || bufferLength + 8L > in.available()) {
            throw new IllegalStateException("corrupt patcher state: it claims " + bufferLength
                    + " buffered bytes but holds only " + in.available() + " more bytes");
        }
        ensureCapacity(bufferLength);
        in.readFully(buffer, 0, bufferLength);
        int scoresFrom = version >= 3 ? in.readInt() : 0;
        if (scoresFrom < 0 || scoresFrom > bufferLength || 8L * (bufferLength - scoresFrom + 1) > in.available()) {
            throw new IllegalStateException("corrupt patcher state: scores from " + scoresFrom + " of "
                    + bufferLength + " buffered bytes, " + in.available() + " bytes left");
        }
        for (int i = scoresFrom; i <= bufferLength; i++) {
            entropy[i] = in.readFloat();
            logprob[i] = in.readFloat();
        }
        openStart = in.readLong();
        openLength = in.readInt();
        if (openLength < 0) {
            throw new IllegalStateException("corrupt patcher state: an open patch of " + openLength + " bytes");
        }
        if (openLength > openBytes.length && lenientOpenPatch) {
            growOpenPatch(openLength);
        } else if (openLength > openBytes.length) {
            throw new IllegalStateException("patcher state holds an open patch of " + openLength
                    + " bytes, above max_patch_length " + openBytes.length + ": was it written by another model?");
        }
        in.readFully(openBytes, 0, openLength);
        for (int i = 0; i < openLength; i++) {
            openEntropy[i] = in.readFloat();
            openLogprob[i] = in.readFloat();
        }
        nextPatchIndex = in.readLong();
        previousEntropy = in.readFloat();
        if (version >= 2) {
            VersionedSnapshot.readPositions(in, separators, STATE);
        }
        if (version >= 4) {
            offsetBase = in.readLong();
            patchIndexBase = in.readLong();
        }
        return this;
    }

    // Set only while reading another model's state for startAfresh: its open patch may exceed this max_patch_length.
    private boolean lenientOpenPatch;

    private void growOpenPatch(int length) {
        openBytes = new byte[length];
        openEntropy = new float[length];
        openLogprob = new float[length];
    }

    /** Another model's state, handed over to a patcher of other windows: see {@link #startAfresh}. */
    public record Handover(List<ClosedPatch> closed, StreamPatcher patcher) {}

    /**
     * Takes a stream over from the state another model's patcher wrote under other windows (a model
     * rollout), where its held bytes cannot serve as this model's context: the old open patch closes
     * where the stream stands (MODEL_SWITCH, with the old model's scores), and the returned patcher
     * patches what comes next as a new stream that begins there, its offsets and patch indices
     * continuing the old ones.
     */
    public static Handover startAfresh(PatcherSettings settings, byte[] snapshot) {
        StreamPatcher old = VersionedSnapshot.read(STATE, SNAPSHOT_VERSION, snapshot, (in, version) -> {
            StreamPatcher p = new StreamPatcher(settings);
            p.lenientOpenPatch = true;
            return p.readBody(in, version);
        });
        List<ClosedPatch> closed = old.finish(CloseReason.MODEL_SWITCH);
        StreamPatcher fresh = new StreamPatcher(settings);
        fresh.offsetBase = old.received();
        fresh.patchIndexBase = old.nextPatchIndex();
        return new Handover(closed, fresh);
    }

    public static StreamPatcher restore(PatcherSettings settings, byte[] snapshot) {
        return VersionedSnapshot.read(STATE, SNAPSHOT_VERSION, snapshot, (in, version) -> new StreamPatcher(settings).readBody(in, version));
    }
}
