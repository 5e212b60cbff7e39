package dev.blt.cli;

import dev.blt.patching.Segmentation;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Case-insensitive option values with messages that list the choices. */
final class Converters {

    private Converters() {
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
}
