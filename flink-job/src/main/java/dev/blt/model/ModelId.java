package dev.blt.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A model's identity: {@code model_id = "<name>@" + the first 12 hex digits of SHA-256(canonical
 * form of manifest.json without its top-level model_id)}. The id therefore covers every other field
 * of the manifest (theta, windows, token ids, hash parameters, metrics) and, through {@code files},
 * the SHA-256 of every file of the model: a manifest edited after export no longer matches its id.
 *
 * <p>The canonical form, which {@code model_id} in {@code model-export/blt_models/export.py}
 * produces identically: the JSON tree with
 * <ul>
 *   <li>no whitespace between tokens, object members sorted by key (by Unicode code point),</li>
 *   <li>strings written as Python's {@code json.dumps} writes them (ASCII only: {@code \" \\ \b \f
 *       \n \r \t}, and every other UTF-16 unit outside space..tilde as a backslash, 'u' and four
 *       lower-case hex digits),</li>
 *   <li>numbers copied exactly as they are written in manifest.json (so {@code 2.170588970184329},
 *       {@code 1e-05} and {@code NaN} hash as those characters, and no float is ever reformatted),</li>
 *   <li>{@code true}, {@code false} and {@code null} as such,</li>
 * </ul>
 * encoded as ASCII. A key that occurs twice in one object is an error: JSON readers disagree on
 * which value wins, so such a manifest has no single meaning to identify.
 */
public final class ModelId {

    /** How many hex digits of the SHA-256 follow the name. */
    public static final int HASH_DIGITS = 12;

    static final String FIELD = "model_id";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // as ModelManifest reads (NaN, Infinity)
            .build();

    private static final Comparator<String> BY_CODE_POINT =
            (a, b) -> Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());

    private ModelId() {}

    /**
     * The id that a manifest with these bytes must carry, for a model called {@code name}. The
     * bytes' own model_id is ignored, so a tool that changes a manifest writes it with any id,
     * computes this, and puts it in.
     *
     * @throws ModelLoadException when the bytes are not a JSON object or repeat a key
     */
    public static String of(String name, byte[] manifestJson, String source) {
        byte[] canonical = canonicalForm(manifestJson, source).getBytes(StandardCharsets.US_ASCII);
        return name + "@" + ModelBundle.sha256(canonical).substring(0, HASH_DIGITS);
    }

    /** The canonical form (see the class comment) of a manifest, without its model_id. */
    static String canonicalForm(byte[] manifestJson, String source) {
        try (JsonParser parser = JSON.createParser(manifestJson)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new ModelLoadException("manifest " + source + ": the top-level value is not a manifest object");
            }
            Map<String, String> members = members(parser, source);
            members.remove(FIELD);
            return object(members);
        } catch (IOException e) {
            throw new ModelLoadException("manifest " + source + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The members of the object whose START_OBJECT was just read, each value in canonical form. */
    private static Map<String, String> members(JsonParser parser, String source) throws IOException {
        Map<String, String> members = new TreeMap<>(BY_CODE_POINT);
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            String value = value(parser, parser.nextToken(), source);
            if (members.put(key, value) != null) {
                throw new ModelLoadException("manifest " + source + ": key \"" + key + "\" occurs twice in one object"
                        + " (at " + parser.currentLocation().offsetDescription() + ")");
            }
        }
        return members;
    }

    private static String value(JsonParser parser, JsonToken token, String source) throws IOException {
        return switch (token) {
            case START_OBJECT -> object(members(parser, source));
            case START_ARRAY -> {
                List<String> items = new ArrayList<>();
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                    items.add(value(parser, t, source));
                }
                yield items.stream().collect(Collectors.joining(",", "[", "]"));
            }
            case VALUE_STRING -> quote(parser.getText());
            // The number's own text, as written: no parse-and-print round trip to disagree on.
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getText();
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            default -> throw new ModelLoadException("manifest " + source + ": unexpected " + token + " at "
                    + parser.currentLocation().offsetDescription());
        };
    }

    private static String object(Map<String, String> members) {
        return members.entrySet().stream().map(e -> quote(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** A JSON string as Python's json.dumps writes it with its default ensure_ascii=True. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < ' ' || c > '~') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
