package dev.blt.cli;

import dev.blt.patching.RecordContext;
import picocli.CommandLine.Option;

/** {@code --record-context} of the offline commands (a picocli mixin). */
public class RecordContextOption {

    @Option(names = "--record-context", defaultValue = "carry", paramLabel = "carry|reset") RecordContext value;
}
