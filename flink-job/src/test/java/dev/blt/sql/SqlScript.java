package dev.blt.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a SQL client script into statements as the SQL client does: a statement ends with a
 * semicolon at the end of a line, except inside EXECUTE STATEMENT SET BEGIN ... END; comment lines
 * are dropped.
 */
final class SqlScript {

    private SqlScript() {
    }

    static List<String> statements(String script) {
        boolean inSet = false; // inside EXECUTE STATEMENT SET BEGIN ... END;
        StringBuilder current = new StringBuilder();
        List<String> out = new ArrayList<>();
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.equalsIgnoreCase("BEGIN")) {
                inSet = true;
            }
            boolean ends = inSet ? trimmed.equalsIgnoreCase("END;") : trimmed.endsWith(";");
            if (ends) {
                String statement = current.toString().strip();
                out.add(statement.substring(0, statement.length() - 1)); // executeSql takes no final semicolon
                current.setLength(0);
                inSet = false;
            }
        }
        if (!current.toString().isBlank()) {
            throw new IllegalArgumentException("the script ends inside a statement: " + current);
        }
        return out;
    }
}
