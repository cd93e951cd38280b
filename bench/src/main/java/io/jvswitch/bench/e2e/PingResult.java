package io.jvswitch.bench.e2e;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The summary of a {@code ping -q} run (iputils): replies received and the average round trip. */
public record PingResult(int transmitted, int received, double avgMillis) {
    private static final Pattern COUNTS = Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");
    private static final Pattern RTT = Pattern.compile("= ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms");

    public static PingResult parse(String output) {
        final Matcher counts = COUNTS.matcher(output);
        if (!counts.find()) {
            throw new IllegalArgumentException("ping printed no summary: " + output.strip());
        }
        final int transmitted = Integer.parseInt(counts.group(1));
        final int received = Integer.parseInt(counts.group(2));
        final Matcher rtt = RTT.matcher(output);
        if (received == 0 || !rtt.find()) {
            throw new IllegalArgumentException("ping got no replies (" + transmitted + " sent)");
        }
        return new PingResult(transmitted, received, Double.parseDouble(rtt.group(2)));
    }
}
