package dev.blt.model;

import dev.blt.bltstage.BltScorer;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.PatcherSettings;
import java.io.Serializable;

/**
 * What the Flink operators need of a model: its id, the settings the cores take, and the batched
 * scorers. {@link LoadedModel} is the real one (ONNX Runtime); tests give the operators a plain
 * function of the bytes instead, through a {@link Source}.
 */
public interface OperatorModel {

    String modelId();

    PatcherSettings patcherSettings();

    EntropyScorer entropyScorer();

    /** Heap one live patcher's window cache may hold (see {@link LoadedModel#windowCacheBytes()}). */
    long windowCacheBytes();

    BltStageSettings encoderSettings();

    BltScorer bltScorer();

    /** Heap one stream's rolling BLT cache holds; 0 when the BLT stage runs in aligned blocks. */
    default long bltCacheBytes() {
        return 0;
    }

    /** The model's figures on held-out data ({@link ModelManifest#heldOutFigures()}); null when unknown. */
    default ModelManifest.HeldOutFigures heldOutFigures() {
        return null;
    }

    /**
     * The windows a stream's state depends on ({@link ModelManifest#windowsDescription()}): a stream
     * whose state was written under other windows starts afresh.
     */
    default String windows() {
        return "";
    }

    /** Token id of byte 0 (byte b is token b + byteOffset). */
    int byteOffset();

    /** Gives back what {@link Source#open()} returned. */
    void release();

    /** Where an operator gets its model: serializable, shipped with the job, opened on each task. */
    interface Source extends Serializable {
        OperatorModel open();
    }
}
