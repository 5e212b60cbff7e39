package dev.blt.fault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Flink standalone session cluster made of separate JVMs started from blt.jar: one JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and N TaskManagers ({@code TaskManagerRunner}), all on
 * localhost. Jobs submitted to it need no jar: blt.jar, with the Kafka connector and the project's job
 * classes, is already on every process's classpath.
 *
 * <p>Layout under the work directory: {@code conf/config.yaml}, {@code logs/} (per process
 * {@code jobmanager.*} and {@code taskmanager-<i>.*}, {@code .out} for stdout/stderr and {@code .log}
 * for Log4j) and {@code tmp/} (io.tmp.dirs).
 *
 * <p>TaskManager {@code i} has the resource id {@code taskmanager-<i>} (what REST {@code /taskmanagers}
 * shows as its id), and gets a fresh RPC port each time it starts, so the JobManager's registration of
 * a restarted TaskManager can be told apart from the stale one of its killed predecessor.
 */
public final class FlinkCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlinkCluster.class);

    private static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

    private final Path configDir;
    private final Path logDir;
    private final Path tmpDir;
    private final int restPort;
    private final FlinkRest rest;
    private final FlinkProcessMemory taskManagerMemory;
    private final List<String> taskManagerJvmFlags;
    private final JavaProcess jobManager;
    private final JavaProcess[] taskManagers;

    private FlinkCluster(Path workDir, int restPort, int taskManagerCount, Configuration conf) {
        this.configDir = workDir.resolve("conf");
        this.logDir = workDir.resolve("logs");
        this.tmpDir = workDir.resolve("tmp");
        this.restPort = restPort;
        this.rest = new FlinkRest(restAddress());
        this.taskManagerMemory = FlinkProcessMemory.forTaskManager(conf);
        this.taskManagers = new JavaProcess[taskManagerCount];
        this.taskManagerJvmFlags = jvmFlags(taskManagerMemory, conf, CoreOptions.FLINK_TM_JVM_OPTIONS);
        FlinkProcessMemory jobManagerMemory = FlinkProcessMemory.forJobManager(conf);
        this.jobManager = JavaProcess.start("jobmanager", logDir,
                jvmFlags(jobManagerMemory, conf, CoreOptions.FLINK_JM_JVM_OPTIONS), JOB_MANAGER_MAIN,
                programArgs(jobManagerMemory.dynamicProperties()));
    }

    /**
     * Writes the configuration, starts the JobManager and {@code taskManagers} TaskManagers, and waits
     * (up to 90 s) until the REST API answers and lists every TaskManager.
     *
     * <p>Defaults, which {@code extraConf} overrides key by key: everything on localhost with free ports;
     * JobManager 1 GiB and TaskManagers 1.25 GiB process memory with a managed-memory fraction of 0.1;
     * heartbeat interval 2 s and timeout 10 s (a killed TaskManager is noticed within seconds, yet a busy
     * 2-core machine does not flap); fixed-delay restarts, 100 attempts, 1 s apart; the JobManager JVM
     * with C1 only ({@code env.java.opts.jobmanager}). Checkpointing is left to the jobs.
     *
     * <p>JVM flags come from {@code env.java.opts.all}, {@code env.java.opts.jobmanager} and
     * {@code env.java.opts.taskmanager}, as with Flink's start scripts.
     *
     * @param extraConf further {@code config.yaml} entries, e.g. {@code state.backend.type}
     */
    public static FlinkCluster start(Path workDir, int taskManagers, int slotsPerTaskManager, Map<String, String> extraConf) {
        Path dir = workDir.toAbsolutePath();
        int[] ports = FreePorts.pick(3);
        int rpcPort = ports[0];
        int restPort = ports[1];
        int blobPort = ports[2];

        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("jobmanager.rpc.address", "localhost");
        settings.put("jobmanager.rpc.port", String.valueOf(rpcPort));
        settings.put("jobmanager.bind-host", "localhost");
        settings.put("rest.address", "localhost");
        settings.put("rest.bind-address", "localhost");
        settings.put("rest.port", String.valueOf(restPort));
        settings.put("blob.server.port", String.valueOf(blobPort));
        settings.put("taskmanager.host", "localhost");
        settings.put("taskmanager.bind-host", "localhost");
        settings.put("jobmanager.memory.process.size", "1024m");
        settings.put("taskmanager.memory.process.size", "1280m");
        // Managed memory serves only RocksDB/ForSt and batch operators; with the default (heap) state
        // backend it is wasted. In 1.25 GiB the default fraction 0.4 leaves ~160 MiB of task heap,
        // 0.1 leaves ~410 MiB (for the job's models and heap state).
        settings.put("taskmanager.memory.managed.fraction", "0.1");
        settings.put("taskmanager.numberOfTaskSlots", String.valueOf(slotsPerTaskManager));
        settings.put("parallelism.default", "1");
        settings.put("heartbeat.interval", "2000");
        settings.put("heartbeat.timeout", "10000");
        settings.put("restart-strategy.type", "fixed-delay");
        settings.put("restart-strategy.fixed-delay.attempts", "100");
        settings.put("restart-strategy.fixed-delay.delay", "1 s");
        // C1 only: the JobManager coordinates and processes no records, and C1 cuts its start-up CPU
        // from about 8 s to 5 s (measured here), which counts when several JVMs start together on a
        // 2-core machine. TaskManagers keep C2 by default: they run the job.
        settings.put("env.java.opts.jobmanager", "-XX:TieredStopAtLevel=1");
        settings.put("io.tmp.dirs", dir.resolve("tmp").toString());
        settings.put("web.tmpdir", dir.resolve("tmp").resolve("web").toString());
        settings.putAll(extraConf);
        Path configFile = FlinkConfigYaml.write(dir.resolve("conf"), settings);
        // Read back with Flink's own loader, so the memory flags match what the processes will parse.
        Configuration conf = GlobalConfiguration.loadConfiguration(configFile.getParent().toString());

        long started = System.nanoTime();
        FlinkCluster cluster = new FlinkCluster(dir, restPort, taskManagers, conf);
        try {
            List<Integer> rpcPorts = new ArrayList<>();
            for (int i = 0; i < taskManagers; i++) {
                rpcPorts.add(cluster.launchTaskManager(i));
            }
            for (int i = 0; i < taskManagers; i++) {
                cluster.awaitRegistered(i, rpcPorts.get(i));
            }
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        LOG.info("Flink cluster with {} TaskManagers ready at {} after {} ms (work dir {})",
                taskManagers, cluster.restAddress(), (System.nanoTime() - started) / 1_000_000, dir);
        return cluster;
    }

    /** The REST endpoint, {@code http://localhost:<port>}. */
    private String restAddress() {
        return "http://localhost:" + restPort;
    }

    /** The REST port, e.g. for {@code StreamExecutionEnvironment.createRemoteEnvironment}. */
    public int restPort() {
        return restPort;
    }

    /** A REST client for this cluster. */
    public FlinkRest rest() {
        return rest;
    }

    /** Fails, with the end of its logs, if the JobManager process has exited. */
    public void requireJobManagerAlive() {
        jobManager.requireAlive();
    }

    /** TaskManager {@code i}'s resource id, as REST {@code /taskmanagers} lists it. */
    public static String taskManagerId(int i) {
        return "taskmanager-" + i;
    }

    /**
     * SIGKILLs TaskManager {@code i} and returns as soon as the process is dead. The JobManager notices
     * only later, when heartbeats to it fail (see {@code heartbeat.*}); to wait for that, call
     * {@link #awaitTaskManagers(int, Duration)} with the smaller count.
     */
    public void killTaskManager(int i) {
        JavaProcess tm = taskManagers[i];
        if (tm != null) {
            tm.kill();
        }
    }

    /**
     * Starts TaskManager {@code i} again (same resource id, fresh RPC port) and waits until the
     * JobManager has registered this new process; this works whether or not the JobManager has dropped
     * the killed predecessor yet.
     *
     * @throws IllegalStateException if TaskManager {@code i} still runs, or does not register within 90 s
     */
    public void startTaskManager(int i) {
        if (taskManagers[i] != null && taskManagers[i].isAlive()) {
            throw new IllegalStateException(taskManagers[i] + " still runs; kill it first");
        }
        long started = System.nanoTime();
        int rpcPort = launchTaskManager(i);
        awaitRegistered(i, rpcPort);
        LOG.info("{} registered after {} ms", taskManagerId(i), (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Waits until the JobManager lists exactly {@code n} TaskManagers (REST {@code /taskmanagers}).
     *
     * @throws IllegalStateException on timeout, or if the JobManager process dies
     */
    public void awaitTaskManagers(int n, Duration timeout) {
        Poll.until("the JobManager lists " + n + " TaskManagers", timeout, () -> {
            jobManager.requireAlive();
            return rest.taskManagers().size() == n;
        });
    }

    /**
     * Kills every TaskManager and the JobManager (SIGKILL), then deletes {@code tmp/}: killed processes
     * leave their scratch files there (each extracts Flink's 21 MB RPC jar into it). {@code conf/} and
     * {@code logs/} stay.
     */
    @Override
    public void close() {
        for (JavaProcess tm : taskManagers) {
            if (tm != null) {
                tm.kill();
            }
        }
        jobManager.kill();
        deleteRecursively(tmpDir);
    }

    /** Launches TaskManager {@code i} without waiting; returns the RPC port it was given. */
    private int launchTaskManager(int i) {
        int rpcPort = FreePorts.pick();
        List<String> dynamic = new ArrayList<>(taskManagerMemory.dynamicProperties());
        dynamic.add("-D");
        dynamic.add("taskmanager.resource-id=" + taskManagerId(i));
        dynamic.add("-D");
        dynamic.add("taskmanager.rpc.port=" + rpcPort);
        taskManagers[i] = JavaProcess.start(taskManagerId(i), logDir, taskManagerJvmFlags, TASK_MANAGER_MAIN,
                programArgs(dynamic));
        return rpcPort;
    }

    private void awaitRegistered(int i, int rpcPort) {
        JavaProcess tm = taskManagers[i];
        String id = taskManagerId(i);
        // The RPC path looks like pekko.tcp://flink@localhost:<rpcPort>/user/rpc/taskmanager_0.
        String portInPath = ":" + rpcPort + "/";
        Poll.until("the JobManager has registered " + id + " (pid " + tm.pid() + ", RPC port " + rpcPort + ")",
                STARTUP_TIMEOUT, () -> {
                    jobManager.requireAlive();
                    tm.requireAlive();
                    return rest.taskManagers().stream()
                            .anyMatch(r -> r.id().equals(id) && r.rpcPath().contains(portInPath));
                });
    }

    /**
     * Memory flags, then {@code env.java.opts.all}, then the role's own {@code env.java.opts.*}: the
     * options Flink's start scripts add, so tests set JVM flags the way a deployment would.
     */
    private static List<String> jvmFlags(FlinkProcessMemory memory, Configuration conf, ConfigOption<String> roleOptions) {
        List<String> flags = new ArrayList<>(memory.jvmFlags());
        for (String options : List.of(conf.get(CoreOptions.FLINK_JVM_OPTIONS), conf.get(roleOptions))) {
            if (!options.isBlank()) {
                flags.addAll(List.of(options.trim().split("\\s+")));
            }
        }
        return flags;
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.warn("Could not delete {}", dir, e);
        }
    }

    private List<String> programArgs(List<String> dynamicProperties) {
        List<String> args = new ArrayList<>();
        args.add("--configDir");
        args.add(configDir.toString());
        args.addAll(dynamicProperties);
        return args;
    }
}
