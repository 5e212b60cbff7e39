package dev.blt.cli;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Makes SIGTERM and SIGINT (Ctrl-C, `docker stop`, `kill`) stop a locally running job with a
 * savepoint, the way `flink stop` does on a cluster, so that `--resume latest` continues exactly
 * where it stopped. The JVM's default handling would run shutdown hooks that tear the embedded
 * cluster down mid-checkpoint. A second signal while the savepoint is being taken exits at once;
 * the latest retained checkpoint is then the resume point.
 */
final class StopWithSavepointOnSignal {

    private static final Logger LOG = LoggerFactory.getLogger(StopWithSavepointOnSignal.class);
    private static final long STOP_TIMEOUT_MINUTES = 5;

    private final AtomicBoolean stopping = new AtomicBoolean();

    private StopWithSavepointOnSignal() {
    }

    /** Whether a signal stopped the job (so a bounded run did not reach the end of its input). */
    boolean stopped() {
        return stopping.get();
    }

    static StopWithSavepointOnSignal install(JobClient client, String savepointDirectory) {
        StopWithSavepointOnSignal handler = new StopWithSavepointOnSignal();
        AtomicBoolean stopping = handler.stopping;
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (!stopping.compareAndSet(false, true)) {
                    LOG.warn("second SIG{}: exiting without waiting for the savepoint", name);
                    Runtime.getRuntime().halt(130);
                }
                // Off the signal thread, so that a second signal can still be handled.
                Thread stopper = new Thread(() -> stop(client, savepointDirectory), "blt-stop-with-savepoint");
                stopper.setDaemon(true);
                stopper.start();
            });
        }
        return handler;
    }

    private static void stop(JobClient client, String savepointDirectory) {
        LOG.info("stopping job {} with a savepoint in {}", client.getJobID(), savepointDirectory);
        try {
            String path = client.stopWithSavepoint(false, savepointDirectory, SavepointFormatType.CANONICAL)
                    .get(STOP_TIMEOUT_MINUTES, TimeUnit.MINUTES);
            LOG.info("stopped; savepoint {} (resume with --resume latest or --resume {})", path, path);
        } catch (Exception e) {
            LOG.error("stop with savepoint failed; the newest retained checkpoint is the resume point", e);
            Runtime.getRuntime().halt(1);
        }
    }
}
