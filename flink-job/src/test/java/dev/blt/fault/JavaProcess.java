package dev.blt.fault;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child JVM running a main class from {@link BltJar}: its name (given at start), the process, the
 * file that receives its stdout and stderr ({@code <name>.out}) and its Log4j log ({@code <name>.log}).
 *
 * <p>Each process writes two files into its log directory: {@code <name>.out} (stdout and stderr) and
 * {@code <name>.log} (Log4j, see {@link ChildLogConfig}). Both are appended to, so a process started
 * again under the same name continues them.
 *
 * <p>Every live child is remembered in a static registry, and a shutdown hook SIGKILLs them all when
 * the test JVM exits, so a failed test leaves no stray JVMs behind. (Nothing can run when the test JVM
 * itself is SIGKILLed; then the children outlive it.)
 */
public record JavaProcess(String name, Process process, Path outputFile, Path logFile) {

    private static final Logger LOG = LoggerFactory.getLogger(JavaProcess.class);

    private static final Set<JavaProcess> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(JavaProcess::killAllLive, "kill-child-jvms"));
    }

    /**
     * Starts {@code java <jvmFlags> -cp blt.jar <mainClass> <args>} and returns at once (it does not wait
     * for the program to be ready). The child gets the Java 17 module flags of {@link ChildJvmFlags} and
     * the logging flags ({@code -Dlog.file}, {@code -Dlog4j.configurationFile}) in addition to
     * {@code jvmFlags}.
     *
     * @param name a file-name-safe name, used for the log files ({@code logDir/<name>.out|.log})
     */
    public static JavaProcess start(String name, Path logDir, List<String> jvmFlags, String mainClass, List<String> args) {
        Path outputFile = logDir.resolve(name + ".out");
        Path logFile = logDir.resolve(name + ".log");
        Path log4jConfig = ChildLogConfig.writeInto(logDir);

        List<String> command = new ArrayList<>();
        command.add(javaBinary().toString());
        command.addAll(ChildJvmFlags.moduleOpens());
        command.add("-Dlog.file=" + logFile.toAbsolutePath());
        command.add("-Dlog4j.configurationFile=" + log4jConfig.toAbsolutePath().toUri());
        command.addAll(jvmFlags);
        command.add("-cp");
        command.add(BltJar.path().toString());
        command.add(mainClass);
        command.addAll(args);

        try {
            // A header per start, so the incarnations of a restarted process can be told apart.
            Files.writeString(outputFile, "==== " + LocalTime.now() + " starting " + name + ": " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(outputFile.toFile()))
                    .redirectInput(Redirect.from(new File("/dev/null")))
                    .start();
            JavaProcess child = new JavaProcess(name, process, outputFile, logFile);
            LIVE.add(child);
            process.onExit().thenRun(() -> LIVE.remove(child));
            LOG.info("Started {} (pid {}), log {}", name, process.pid(), logFile);
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name + ": " + command, e);
        }
    }

    /** The operating-system process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * SIGKILLs the process (like {@code kill -9}: no shutdown hooks, no cleanup) and returns once it is
     * dead. Does nothing if it has exited already.
     */
    public void kill() {
        if (!process.isAlive()) {
            LIVE.remove(this);
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + pid() + ") still runs 30 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + name + " to die", e);
        }
        LIVE.remove(this);
        LOG.info("Killed {} (pid {})", name, pid());
    }

    /**
     * Waits for the process to exit by itself and returns its exit code.
     *
     * @throws IllegalStateException if it still runs after {@code timeout} (it is then killed)
     */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                throw new IllegalStateException(name + " did not exit within " + timeout + describeLogs());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + name + " to exit", e);
        }
    }

    /**
     * Throws a {@link ProcessDiedException} with the tail of the process's logs if it has exited; meant
     * to be called from {@link Poll} conditions so that waiting for a dead process fails at once.
     */
    public void requireAlive() {
        if (!process.isAlive()) {
            throw new ProcessDiedException(name + " (pid " + pid() + ") exited with code " + process.exitValue() + describeLogs());
        }
    }

    /** The last lines of both log files, for error messages. */
    public String describeLogs() {
        return "\n--- last lines of " + outputFile + " ---\n" + tail(outputFile, 30)
                + "\n--- last lines of " + logFile + " ---\n" + tail(logFile, 30);
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no file)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static Path javaBinary() {
        // The test JVM's own java, so children run the same JDK whatever is on PATH.
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private static void killAllLive() {
        for (JavaProcess child : LIVE) {
            child.process.destroyForcibly();
        }
        for (JavaProcess child : LIVE) {
            try {
                child.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + (isAlive() ? ", alive)" : ", dead)");
    }
}
