package io.jvswitch.bench.e2e;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What one run of {@link ConnectionRateProbe}'s connection loop reports. */
record ConnectionRate(long connections, double seconds) {
    private static final Pattern DONE = Pattern.compile("^(\\d+) connections in ([0-9.]+) s$", Pattern.MULTILINE);
    private static final Pattern FAILED = Pattern.compile("^failed after (\\d+) connections: (.*)$", Pattern.MULTILINE);

    double perSecond() {
        return connections / seconds;
    }

    /**
     * Reads the loop's last line. A failed connection fails the whole figure: a rate over the
     * connections before it would look like a slow path, not a broken one.
     */
    static ConnectionRate parse(String output) {
        final Matcher failed = FAILED.matcher(output);
        if (failed.find()) {
            throw new IllegalArgumentException("connection " + (Long.parseLong(failed.group(1)) + 1) + " failed: "
                    + failed.group(2).strip());
        }
        final Matcher done = DONE.matcher(output);
        if (!done.find()) {
            final String text = output.strip();
            throw new IllegalArgumentException("the connection loop printed no summary: "
                    + (text.isEmpty() ? "(nothing)" : text.substring(text.lastIndexOf('\n') + 1)));
        }
        final ConnectionRate rate =
                new ConnectionRate(Long.parseLong(done.group(1)), Double.parseDouble(done.group(2)));
        if (rate.connections == 0 || rate.seconds <= 0) {
            throw new IllegalArgumentException("no connection completed in " + rate.seconds + " s");
        }
        return rate;
    }
}
