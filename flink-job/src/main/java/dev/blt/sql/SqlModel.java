package dev.blt.sql;

import dev.blt.model.LoadedModel;
import dev.blt.model.ModelSource;
import dev.blt.model.SessionSettings;
import org.apache.flink.table.functions.FunctionContext;

/**
 * The model the SQL functions run, chosen by job parameters because a function in a catalog has
 * no constructor arguments: {@code SET 'pipeline.global-job-parameters' = 'blt.model:/models/x,blt.device:cuda:0'}.
 * Without them: the model bundled in the jar, on CPU.
 */
final class SqlModel {

    /** Job parameter: a model folder with manifest.json; unset = the bundled model. */
    static final String MODEL_PARAMETER = "blt.model";
    /** Job parameter: "cpu" (default) or "cuda:N". */
    static final String DEVICE_PARAMETER = "blt.device";

    private SqlModel() {
    }

    /** Opens (or shares, see {@link ModelSource#open()}) the model; pair with {@link LoadedModel#release()}. */
    static LoadedModel open(FunctionContext context) {
        String directory = context.getJobParameter(MODEL_PARAMETER, "").trim();
        String device = context.getJobParameter(DEVICE_PARAMETER, "cpu").trim();
        if (ModelSource.FLINK_GPU.equals(device)) {
            throw new IllegalArgumentException(DEVICE_PARAMETER + ": the SQL functions take cpu or cuda:N, not '"
                    + ModelSource.FLINK_GPU + "'");
        }
        return new ModelSource(directory.isEmpty() ? null : directory, device,
                SessionSettings.DEFAULT_INTRA_OP_THREADS, null).open();
    }
}
