package dev.blt.model;

import java.nio.file.Path;

/**
 * Where a job's model comes from and how it runs: a serializable description that Flink ships to
 * every task. {@link #open()} loads it once per JVM (checksums verified), so all slots of a
 * TaskManager share one bundle and one ONNX Runtime session per model. Each open() must be paired
 * with {@link LoadedModel#release()} where the holder has a lifecycle (Flink operators).
 *
 * @param directory     model folder with manifest.json; null for the model bundled in the jar
 * @param device        "cpu", "cuda:N", or "gpu": the GPU Flink assigns to the task through its
 *                      external resource "gpu" (resolved by the operators, see {@link #FLINK_GPU})
 * @param thetaOverride replaces the manifest's theta (for example after `blt calibrate`); null = keep
 */
public record ModelSource(String directory, String device, int intraOpThreads, Double thetaOverride)
        implements OperatorModel.Source {

    /** Device value meaning: ask Flink's external resource framework which GPU this task got. */
    public static final String FLINK_GPU = "gpu";

    public ModelSource {
        if (!FLINK_GPU.equals(device)) {
            Device.parse(device); // fail at job construction, not on the task managers
        }
        if (thetaOverride != null && !(Double.isFinite(thetaOverride) && thetaOverride > 0)) {
            // As the manifest's theta: entropies are >= 0 nats, so theta <= 0 would cut a patch at every byte.
            throw new IllegalArgumentException("--theta must be a positive number of nats, got " + thetaOverride);
        }
    }

    /** The bundled default model on CPU. */
    public static ModelSource bundled() {
        return new ModelSource(null, "cpu", SessionSettings.DEFAULT_INTRA_OP_THREADS, null);
    }

    public ModelSource withDevice(String newDevice) {
        return new ModelSource(directory, newDevice, intraOpThreads, thetaOverride);
    }

    public ModelBundle bundle() {
        return directory == null ? ModelBundle.fromClasspath(ModelBundle.DEFAULT_RESOURCE)
                : ModelBundle.fromDirectory(Path.of(directory));
    }

    /** The loaded model, shared by every caller in this JVM; reference counted. */
    @Override
    public LoadedModel open() {
        return LoadedModel.acquire(this);
    }

    public String describe() {
        return (directory == null ? "bundled " + ModelBundle.DEFAULT_RESOURCE : directory) + " on " + device;
    }
}
