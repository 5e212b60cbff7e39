package dev.blt.cli;

import dev.blt.model.ModelSource;
import dev.blt.model.SessionSettings;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
public class ModelOptions {

    @Option(names = "--model", paramLabel = "DIR") String directory;
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N|gpu") String device;
    @Option(names = "--threads", defaultValue = "" + SessionSettings.DEFAULT_INTRA_OP_THREADS, paramLabel = "N") int threads;
    @Option(names = "--theta", paramLabel = "NATS") Double theta;

    public ModelSource source() {
        return new ModelSource(directory, device, threads, theta);
    }
}
