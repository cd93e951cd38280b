package io.jvswitch.control.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

class PrometheusDnsTest {
    @Test
    void countersAreEventsAndSizesAreGauges() {
        final Map<String, Long> dns = new LinkedHashMap<>();
        dns.put("answered-local", 7L);
        dns.put("formerr-bad-pointer", 2L);
        dns.put("cache-entries", 3L);
        final String text = PrometheusText.renderDns(dns);
        assertTrue(text.contains("# TYPE jvs_dns_events_total counter\n"), text);
        assertTrue(text.contains("jvs_dns_events_total{event=\"answered-local\"} 7\n"), text);
        assertTrue(text.contains("jvs_dns_events_total{event=\"formerr-bad-pointer\"} 2\n"), text);
        assertTrue(text.contains("jvs_dns_state{what=\"cache-entries\"} 3\n"), text);
        assertEquals("", PrometheusText.renderDns(null));
    }
}
