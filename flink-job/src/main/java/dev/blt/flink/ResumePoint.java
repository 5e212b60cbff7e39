package dev.blt.flink;

import java.util.Optional;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where `blt run` restores from: the checkpoint or savepoint {@code --resume} names (the newest one
 * under the checkpoint directory for {@code latest}), once its {@link CheckpointScope} says the
 * state was written for this job. A mismatch is refused with one line; a model change (a rollout)
 * is logged at WARN. The caller says where it resumes from.
 */
public final class ResumePoint {

    private static final Logger LOG = LoggerFactory.getLogger(ResumePoint.class);

    private ResumePoint() {
    }

    /**
     * @return the checkpoint or savepoint to restore, or empty to start fresh
     * @throws IllegalStateException when the state there was written under another scope
     */
    public static Optional<String> choose(JobOptions o, CheckpointScope now) {
        Optional<String> from = BltJob.resumePath(o);
        if (from.isEmpty()) {
            return from;
        }
        // DIR/<job id>/chk-n or DIR/savepoints/savepoint-...: the scope is recorded in DIR.
        String directory = JobOptions.RESUME_LATEST.equals(o.resume()) ? o.checkpointDirectory()
                : Optional.ofNullable(new Path(from.get()).getParent()).map(Path::getParent).map(Path::toString).orElse(null);
        Optional<CheckpointScope> then = directory == null ? Optional.empty() : CheckpointScope.read(directory);
        if (then.isEmpty()) {
            LOG.warn("resuming from {}, which has no record of the settings its state was written for ({} beside it): "
                    + "make sure they are this job's", from.get(), CheckpointScope.FILE);
        } else {
            Optional<String> refusal = then.get().refusal(now, from.get());
            if (refusal.isPresent()) {
                throw new IllegalStateException(refusal.get());
            }
            then.get().modelChange(now).ifPresent(change -> LOG.warn("resuming from {}: {}", from.get(), change));
        }
        return from;
    }
}
