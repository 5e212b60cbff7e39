package dev.blt.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `blt run` as a user starts it, in a JVM of its own from blt.jar: either the whole job in that one
 * process (local Flink), or as a client that submits the job to a running Flink cluster
 * ({@code -D execution.target=remote}) and exits, printing the job id.
 */
final class BltRun {

    private static final Pattern JOB_ID = Pattern.compile("^([0-9a-f]{32})$", Pattern.MULTILINE);

    private BltRun() {
    }

    /** Starts `blt run ARGS` as a single-process job; it runs until killed. */
    static JavaProcess local(String name, Path logDir, List<String> args) {
        return local(name, logDir, List.of("-Xmx2g"), args);
    }

    /** As {@link #local(String, Path, List)}, with these JVM flags (e.g. a heap bound). */
    static JavaProcess local(String name, Path logDir, List<String> jvmFlags, List<String> args) {
        List<String> command = new ArrayList<>(List.of("run"));
        command.addAll(args);
        return JavaProcess.start(name, logDir, jvmFlags, "dev.blt.cli.BltMain", command);
    }

    /** Submits `blt run ARGS` to the cluster and returns the job id it printed. */
    static String submit(String name, Path logDir, FlinkCluster cluster, List<String> args) {
        List<String> command = new ArrayList<>(List.of("run", "-D", "execution.target=remote",
                "-D", "rest.address=localhost", "-D", "rest.port=" + cluster.restPort()));
        command.addAll(args);
        JavaProcess client = JavaProcess.start(name, logDir, List.of("-Xmx1g", "-XX:TieredStopAtLevel=1"),
                "dev.blt.cli.BltMain", command);
        int exit = client.awaitExit(Duration.ofMinutes(3));
        String output;
        try {
            output = Files.readString(client.outputFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher m = JOB_ID.matcher(output);
        String jobId = null;
        while (m.find()) {
            jobId = m.group(1);
        }
        if (exit != 0 || jobId == null) {
            throw new IllegalStateException("blt run (submit) exited " + exit + " without a job id:\n" + client.describeLogs());
        }
        return jobId;
    }
}
