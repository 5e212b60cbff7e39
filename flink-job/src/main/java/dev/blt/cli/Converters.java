package dev.blt.cli;

import dev.blt.flink.JobOptions;
import dev.blt.kafka.InputFormat;
import dev.blt.patching.RecordContext;
import dev.blt.patching.Segmentation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Case-insensitive option values with messages that list the choices. */
final class Converters {

    private Converters() {
    }

    /**
     * Registers the one way every enum option of the CLI is read, on a command line and its
     * subcommands: case-insensitive ('-' for '_'), and a message that lists the choices.
     */
    static CommandLine withEnumConverters(CommandLine commandLine) {
        for (Class<? extends Enum<?>> type : List.of(Segmentation.class, RecordContext.class, InputFormat.class,
                JobOptions.Stage.class, PatchPrinter.Format.class)) {
            register(commandLine, type);
        }
        return commandLine;
    }

    @SuppressWarnings({"unchecked", "rawtypes"}) // each type is an enum class, as the list above holds
    private static void register(CommandLine commandLine, Class type) {
        commandLine.registerConverter(type, new EnumConverter(type));
    }

    /** An enum option's converter; its messages name the option by its type ("record context"). */
    static final class EnumConverter<E extends Enum<E>> implements ITypeConverter<E> {
        private final Class<E> type;
        private final String what;

        EnumConverter(Class<E> type) {
            this.type = type;
            this.what = type.getSimpleName().replaceAll("(?<=[a-z])(?=[A-Z])", " ").toLowerCase(Locale.ROOT);
        }

        @Override
        public E convert(String value) {
            String name = value.trim().replace('-', '_').toUpperCase(Locale.ROOT);
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(name)) {
                    return constant;
                }
            }
            List<String> choices = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                choices.add("'" + constant.name().toLowerCase(Locale.ROOT).replace('_', '-') + "'");
            }
            throw new TypeConversionException(what + " must be " + String.join(", ", choices.subList(0, choices.size() - 1))
                    + " or " + choices.get(choices.size() - 1) + ", got '" + value + "'");
        }
    }

    /** A duration as a number with a unit: 500ms, 30s, 15m, 24h, 7d; a bare 0 means off. Gives milliseconds. */
    static final class DurationConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?")
                    .matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches() || (m.group(2) == null && !"0".equals(m.group(1)))) {
                throw new TypeConversionException("expected a duration such as 500ms, 30s, 15m, 24h or 7d (or 0), got '"
                        + value + "'");
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            return switch (unit) {
                case "ms" -> n;
                case "s" -> java.util.concurrent.TimeUnit.SECONDS.toMillis(n);
                case "m" -> java.util.concurrent.TimeUnit.MINUTES.toMillis(n);
                case "h" -> java.util.concurrent.TimeUnit.HOURS.toMillis(n);
                default -> java.util.concurrent.TimeUnit.DAYS.toMillis(n);
            };
        }
    }
}
