package dev.blt.model;

import ai.onnxruntime.OrtException;

/**
 * What the batched runners share: a session on one graph (checked against the graph's signature),
 * the manifest's token ids, and the padded tokens one call may carry. Closing releases the session.
 */
abstract class BatchedGraphRunner implements AutoCloseable {

    protected final SharedSession session;
    protected final ModelManifest.Tokens tokens;
    protected final long tokenBudget;

    /** Takes over {@code session}: closing the runner releases it. */
    BatchedGraphRunner(SharedSession session, ModelManifest manifest, long tokenBudget, GraphIo graph) {
        if (tokenBudget < 1) {
            throw new IllegalArgumentException("token budget must be >= 1, was " + tokenBudget);
        }
        session.requireSignature(graph);
        this.session = session;
        this.tokens = manifest.tokens();
        this.tokenBudget = tokenBudget;
    }

    /**
     * A failed call, unchecked, as the patching and BLT-stage cores see it: they run no ONNX code of
     * their own, and a failure there is the task's to fail and restart.
     */
    protected IllegalStateException inferenceFailed(OrtException e) {
        return new IllegalStateException("inference of " + session.modelName() + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        session.close();
    }
}
