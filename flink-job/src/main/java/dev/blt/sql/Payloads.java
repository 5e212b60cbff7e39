package dev.blt.sql;

import java.nio.charset.StandardCharsets;
import org.apache.flink.types.Row;

/** The bytes of a record as SQL hands them over: BYTES as they are, STRING as UTF-8. */
final class Payloads {

    /** The column a table's records are read from unless the call names another. */
    static final String DEFAULT_COLUMN = "payload";

    private Payloads() {
    }

    static byte[] of(Object value) {
        if (value == null || value instanceof byte[]) {
            return (byte[]) value;
        }
        if (value instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        throw new IllegalArgumentException("the payload column must be BYTES, VARBINARY or STRING, got a "
                + value.getClass().getSimpleName());
    }

    /** The named column of a row (DEFAULT_COLUMN when name is null); null for a NULL value. */
    static byte[] column(Row row, String name) {
        String column = name == null ? DEFAULT_COLUMN : name;
        java.util.Set<String> names = row.getFieldNames(true);
        if (names == null || !names.contains(column)) {
            throw new IllegalArgumentException("the input table has no column '" + column + "' (columns: " + names
                    + "); name the column with the bytes in payload_column => '...'");
        }
        return of(row.getField(column));
    }
}
