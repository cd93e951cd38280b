package io.jvswitch.control.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.jvswitch.switching.NetworkStats;
import io.jvswitch.switching.PortStats;

/** The one JSON configuration used by the API, the CLI and the state file: strict on input. */
public final class Json {
    private Json() {}

    public static ObjectMapper mapper() {
        return JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .addMixIn(PortStats.class, CountersJson.class)
                .addMixIn(NetworkStats.class, CountersJson.class)
                .build();
    }
}
