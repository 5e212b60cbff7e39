package dev.blt.cli;

import dev.blt.patching.Segmentation;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Case-insensitive option values with messages that list the choices. */
final class Converters {

    private Converters() {
    }

    static final class RecordContextConverter implements ITypeConverter<dev.blt.patching.RecordContext> {
        @Override
        public dev.blt.patching.RecordContext convert(String value) {
            try {
                return dev.blt.patching.RecordContext.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class SegmentationConverter implements ITypeConverter<Segmentation> {
        @Override
        public Segmentation convert(String value) {
            try {
                return Segmentation.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class FormatConverter implements ITypeConverter<PatchPrinter.Format> {
        @Override
        public PatchPrinter.Format convert(String value) {
            try {
                return PatchPrinter.Format.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("format must be 'jsonl' or 'pretty', got '" + value + "'");
            }
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
