package io.jvswitch.control.api;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.Map;

/**
 * How the switch's counter snapshots look in JSON (a Jackson mix-in for {@code PortStats} and
 * {@code NetworkStats}, which the switch keeps free of Jackson): every counter of the enum
 * ({@code PortCounter}, {@code NetworkCounter}) a property by its key, as the readers of {@code
 * jvs stats --json}, {@code /ports} and {@code /networks/NAME/stats} have always found them, not an
 * array.
 */
abstract class CountersJson {
    @JsonIgnore
    abstract long[] counts();

    @JsonAnyGetter
    abstract Map<String, Long> counters();
}
