package dev.blt.flink;

import dev.blt.model.OperatorModel;

/**
 * Which model wrote a stream's state, kept beside it per key: its id and the windows the state
 * depends on. When a job resumes with another model (a rollout), each operator compares the tag of
 * a stream's state with its own model's the first time it loads that stream, so that a stream
 * switches exactly once, however many checkpoints, kills and restores come between the rollout and
 * that stream's next record (docs/DESIGN.md, "Model rollout").
 */
final class ModelTag {

    /** How the model that wrote a stream's state relates to the one running now. */
    enum Change {
        /** The same model, or state written before tags existed (taken to be this model's). */
        NONE,
        /** Another model with the same windows: the state carries over, the new model scores from here. */
        SAME_WINDOWS,
        /** Other windows: the state cannot serve the new model; the stream starts afresh. */
        OTHER_WINDOWS
    }

    private static final char SEPARATOR = '\n';

    /** The switch of each stream, one line each; `blt run` shows this logger's INFO (log4j2.properties). */
    static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelTag.class);

    private ModelTag() {
    }

    static String of(OperatorModel model) {
        return model.modelId() + SEPARATOR + model.windows();
    }

    static Change change(String written, String now) {
        if (written == null || written.equals(now)) {
            return Change.NONE;
        }
        return windows(written).equals(windows(now)) ? Change.SAME_WINDOWS : Change.OTHER_WINDOWS;
    }

    /** The model id in a tag. */
    static String modelId(String tag) {
        int cut = tag == null ? -1 : tag.indexOf(SEPARATOR);
        return cut < 0 ? String.valueOf(tag) : tag.substring(0, cut);
    }

    private static String windows(String tag) {
        int cut = tag.indexOf(SEPARATOR);
        return cut < 0 ? "" : tag.substring(cut + 1);
    }
}
