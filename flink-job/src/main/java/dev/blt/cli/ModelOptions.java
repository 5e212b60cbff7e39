package dev.blt.cli;

import dev.blt.model.ModelSource;
import dev.blt.model.SessionSettings;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
public class ModelOptions {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder with manifest.json (default: the model bundled in the jar).")
    String directory;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N|gpu",
            description = "ONNX Runtime device (default: ${DEFAULT-VALUE}). cuda:N needs the -Pgpu build; gpu (blt run) takes the GPU Flink assigns through its external resource \"gpu\".")
    String device;

    @Option(names = "--threads", paramLabel = "N",
            description = "ONNX Runtime intra-op threads per session (default: " + SessionSettings.DEFAULT_INTRA_OP_THREADS + ").")
    Integer threads;

    @Option(names = "--theta", paramLabel = "NATS",
            description = "Override the manifest's entropy threshold (see `blt calibrate`).")
    Double theta;

    public ModelSource source() {
        return new ModelSource(directory, device, threads == null ? SessionSettings.DEFAULT_INTRA_OP_THREADS : threads,
                theta);
    }
}
