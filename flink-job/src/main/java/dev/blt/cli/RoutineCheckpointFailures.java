package dev.blt.cli;

import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.filter.AbstractFilter;

/**
 * Drops the checkpoint failures that a job which is starting or ending always produces. A checkpoint
 * triggered before every task runs is declined "tasks not ready"; when a bounded job's tasks finish
 * (or a stop takes its savepoint), checkpoints already triggered are declined with "task is closing"
 * or reach a task that has just gone. Flink's CheckpointFailureManager logs each one at WARN with a
 * stack trace: hundreds of lines on a successful `blt demo`, and the next checkpoint simply goes
 * ahead. One more comes from a race in Flink's JobManager: when a checkpoint is aborted (declined by a task
 * that finished) before the source's coordinator has taken its part of it, the abort handler throws
 * "Trying to open gateway for unseen checkpoint" and the RPC actor logs it at ERROR; the checkpoint is
 * aborted either way and the next one goes ahead. A failure for any other reason still shows. Installed
 * by the CLI on its own log4j configuration; a user's configuration (or a Flink cluster's) is left alone.
 */
final class RoutineCheckpointFailures extends AbstractFilter {

    static final String LOGGER = "org.apache.flink.runtime.checkpoint.CheckpointFailureManager";

    /** Where the JobManager's RPC actors log an exception thrown by a message they ran. */
    static final String RPC_LOGGER = "org.apache.flink.runtime.rpc.pekko";

    private static final String UNSEEN_CHECKPOINT_ABORTED = "Trying to open gateway for unseen checkpoint";

    /** Why a checkpoint fails while its job or a task of it starts or ends; a failover is reported on its own. */
    private static final java.util.Set<CheckpointFailureReason> WHILE_STARTING_OR_ENDING = java.util.EnumSet.of(
            CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_NOT_READY,
            CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING,
            CheckpointFailureReason.CHECKPOINT_DECLINED_INPUT_END_OF_STREAM,
            CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING,
            CheckpointFailureReason.CHECKPOINT_COORDINATOR_SUSPEND,
            CheckpointFailureReason.CHECKPOINT_COORDINATOR_SHUTDOWN,
            CheckpointFailureReason.PERIODIC_SCHEDULER_SHUTDOWN);

    private RoutineCheckpointFailures() {
        super(Result.DENY, Result.NEUTRAL);
    }

    /** Adds the filter to the CLI's loggers for checkpoint failures, if log4j runs with the CLI's configuration. */
    static void install() {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
            return;
        }
        Configuration config = context.getConfiguration();
        for (String name : new String[] {LOGGER, RPC_LOGGER}) {
            LoggerConfig logger = config.getLoggerConfig(name);
            if (name.equals(logger.getName())) { // only the CLI's log4j2.properties declares these loggers
                logger.addFilter(new RoutineCheckpointFailures());
            }
        }
        context.updateLoggers();
    }

    /** A logger's filters see whole events (LoggerConfig#isFiltered). */
    @Override
    public Result filter(LogEvent event) {
        return isRoutine(event.getThrown()) ? onMatch : onMismatch;
    }

    /**
     * A checkpoint declined because its task is not running yet, is closing or its input ended, cut short because the
     * coordinator is suspending or shutting down with the job, or sent to a task that has already finished; or the
     * abort of a checkpoint that a source coordinator had not seen yet.
     */
    static boolean isRoutine(Throwable thrown) {
        if (thrown instanceof IllegalStateException e) {
            return abortOfUnseenCheckpoint(e);
        }
        if (!(thrown instanceof CheckpointException e)) {
            return false;
        }
        return WHILE_STARTING_OR_ENDING.contains(e.getCheckpointFailureReason())
                || String.valueOf(e.getMessage()).contains("received a checkpoint request for unknown task");
    }

    private static boolean abortOfUnseenCheckpoint(IllegalStateException e) {
        return String.valueOf(e.getMessage()).startsWith(UNSEEN_CHECKPOINT_ABORTED)
                && java.util.Arrays.stream(e.getStackTrace())
                        .anyMatch(frame -> frame.getMethodName().contains("notifyCheckpointAborted"));
    }
}
