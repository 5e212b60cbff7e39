package dev.blt.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * One holder's handle on a session of {@link InferenceSessions}. Closing the handle releases it;
 * the session itself closes when its last handle does.
 */
public final class SharedSession implements AutoCloseable {

    private final InferenceSessions.Key key;
    private final String modelName;
    private final OrtSession session;
    /** Serialises calls to one GPU; null on the CPU, where calls run concurrently. */
    private final ReentrantLock gpuLock;
    private final AtomicBoolean closed = new AtomicBoolean();

    SharedSession(InferenceSessions.Key key, String modelName, OrtSession session, ReentrantLock gpuLock) {
        this.key = key;
        this.modelName = modelName;
        this.session = session;
        this.gpuLock = gpuLock;
    }

    /** The graph's file name, for messages. */
    public String modelName() {
        return modelName;
    }

    /**
     * Runs the graph and fetches only {@code outputs}: ONNX Runtime then skips the nodes that only
     * feed the others (the entropy model's [B,T,D] hidden state, for one).
     * The caller closes the result, which frees its native tensors.
     */
    public OrtSession.Result run(Map<String, OnnxTensor> inputs, Set<String> outputs) throws OrtException {
        if (closed.get()) {
            throw new IllegalStateException("session for " + modelName + " was closed");
        }
        if (gpuLock == null) {
            return session.run(inputs, outputs);
        }
        gpuLock.lock();
        try {
            return session.run(inputs, outputs);
        } finally {
            gpuLock.unlock();
        }
    }

    /**
     * Checks that the loaded graph has every input and output {@code graph} names, so that a graph
     * that disagrees with its manifest fails when the operator opens.
     */
    public void requireSignature(GraphIo graph) {
        Set<String> inputs = session.getInputNames();
        Set<String> outputs = session.getOutputNames();
        Set<String> wantedInputs = graph.inputs().stream().map(t -> t.id).collect(Collectors.toSet());
        // Inputs must match exactly: the runtime feeds only these, and ONNX Runtime rejects a run
        // that leaves a graph input unfed.
        if (!inputs.equals(wantedInputs)) {
            throw new ModelLoadException("graph " + modelName + " takes inputs " + inputs + " but the runtime feeds "
                    + wantedInputs);
        }
        for (GraphTensor t : graph.outputs()) {
            if (!outputs.contains(t.id)) {
                throw new ModelLoadException("graph " + modelName + " has no output '" + t.id + "' (it has "
                        + outputs + ")");
            }
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            InferenceSessions.release(key);
        }
    }
}
