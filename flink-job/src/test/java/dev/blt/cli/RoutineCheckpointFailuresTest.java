package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.junit.jupiter.api.Test;

/** Which checkpoint failures the CLI's log leaves out: those of a starting or ending job, and no others. */
class RoutineCheckpointFailuresTest {

    @Test
    void checkpointsDeclinedByStartingClosingOrFinishedTasksAreNoise() {
        assertTrue(RoutineCheckpointFailures.isRoutine(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING)));
        assertTrue(RoutineCheckpointFailures.isRoutine(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_COORDINATOR_SUSPEND)));
        assertTrue(RoutineCheckpointFailures.isRoutine(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_NOT_READY)));
        assertTrue(RoutineCheckpointFailures.isRoutine(new CheckpointException(
                "TaskManager received a checkpoint request for unknown task f59a_0_0.",
                CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)));
    }

    @Test
    void theAbortOfACheckpointASourceCoordinatorHadNotSeenIsNoise() {
        assertTrue(RoutineCheckpointFailures.isRoutine(thrownBy("notifyCheckpointAborted",
                "Trying to open gateway for unseen checkpoint: latest known checkpoint = 3, incoming checkpoint = 4")));
        assertFalse(RoutineCheckpointFailures.isRoutine(thrownBy("notifyCheckpointComplete",
                "Trying to open gateway for unseen checkpoint: latest known checkpoint = 3, incoming checkpoint = 4")),
                "the same message on another path still shows");
        assertFalse(RoutineCheckpointFailures.isRoutine(thrownBy("notifyCheckpointAborted", "coordinator failed")));
    }

    /** An exception as the JobManager's abort handler throws it: from a frame of the given method. */
    private static IllegalStateException thrownBy(String method, String message) {
        IllegalStateException e = new IllegalStateException(message);
        e.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("org.apache.flink.runtime.operators.coordination.SubtaskGatewayImpl",
                    "openGatewayAndUnmarkCheckpoint", "SubtaskGatewayImpl.java", 229),
            new StackTraceElement("org.apache.flink.runtime.operators.coordination.OperatorCoordinatorHolder",
                    "lambda$" + method + "$3", "OperatorCoordinatorHolder.java", 277)});
        return e;
    }

    @Test
    void otherCheckpointFailuresStillShow() {
        assertFalse(RoutineCheckpointFailures.isRoutine(new CheckpointException(CheckpointFailureReason.CHECKPOINT_EXPIRED)));
        assertFalse(RoutineCheckpointFailures.isRoutine(
                new CheckpointException("disk full", CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)));
        assertFalse(RoutineCheckpointFailures.isRoutine(new IllegalStateException("task is closing")));
        assertFalse(RoutineCheckpointFailures.isRoutine(null));
    }
}
