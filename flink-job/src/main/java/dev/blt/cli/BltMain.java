package dev.blt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code blt}: the command line, and the Flink application-mode entry point ({@code blt run}).
 */
@Command(name = "blt", mixinStandardHelpOptions = true, version = "blt 0.1.0", resourceBundle = "dev.blt.cli.flags",
        description = "Byte Latent Transformer patching on Kafka streams, with Apache Flink.",
        subcommands = {PatchCommand.class, EmbedCommand.class, CalibrateCommand.class, BenchCommand.class, EvalLoghubCommand.class, RunCommand.class,
                DemoCommand.class, AdaptCommand.class})
public final class BltMain implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        RoutineCheckpointFailures.install();
        int code = commandLine().execute(args);
        // In Flink application mode `run` executes inside the JobManager: exiting the JVM on success
        // would take the JobManager down with it. Every other command is a CLI process of its own.
        boolean insideFlink = args.length > 0 && "run".equals(args[0]);
        if (code != 0 || !insideFlink) {
            System.exit(code);
        }
    }

    public static CommandLine commandLine() {
        CommandLine cl = Converters.withEnumConverters(new CommandLine(new BltMain()));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Bad configuration and bad models are the user's to fix: say what, not a stack trace.
            commandLine.getErr().println("blt: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("BLT_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return 2;
        });
        cl.setParameterExceptionHandler(BltMain::badArguments);
        return cl;
    }

    /**
     * A mistyped or unknown option is named first, with the options it is close to, since it is
     * usually why a required one looks missing; then one line on where the options are, instead of
     * the whole usage.
     */
    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        java.io.PrintWriter err = command.getErr();
        String name = "blt" + (command.getParent() == null ? "" : " " + command.getCommandName());
        java.util.List<String> unknown = command.getUnmatchedArguments().stream().filter(a -> a.startsWith("-")).toList();
        if (!unknown.isEmpty()) {
            CommandLine.UnmatchedArgumentException unmatched = new CommandLine.UnmatchedArgumentException(command,
                    command.getUnmatchedArguments());
            java.util.List<String> close = unmatched.getSuggestions();
            err.println(name + ": unknown option " + String.join(", ", unknown)
                    + (close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?"));
        } else {
            err.println(name + ": " + e.getMessage());
        }
        err.println("See '" + name + " --help' for its options.");
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
