package io.jvswitch.control.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.pcap4j.core.Pcaps;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Skips tests when libpcap or an external tool is missing, and runs tcpdump. */
final class Tools {

    private static final Pattern NUMBERED = Pattern.compile("^\\s*(\\d+)\\s+(\\d+\\.\\d{6})\\s+(.*)$");
    private static Boolean libpcap;

    private Tools() {}

    static synchronized void assumeLibpcap() {
        if (libpcap == null) {
            try {
                libpcap = Pcaps.libVersion() != null;
            } catch (Throwable e) {
                libpcap = false;
            }
        }
        assumeTrue(libpcap, "libpcap is not available");
    }

    static boolean available(String... command) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void assumeTcpdump() {
        assumeLibpcap();
        assumeTrue(available("tcpdump", "--version"), "tcpdump is not installed");
    }

    /** One line of {@code tcpdump -# -tt -nr FILE}. */
    record Line(int number, String time, String text) {}

    /** The packets tcpdump reads from {@code file}, by packet number. */
    static TreeMap<Integer, Line> tcpdump(Path file, String... extra) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tcpdump", "-#", "-tt", "-n", "-r", file.toString()));
        command.addAll(List.of(extra));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> "tcpdump failed on " + file + ":\n" + out);
        TreeMap<Integer, Line> lines = new TreeMap<>();
        for (String line : out.split("\n")) {
            Matcher m = NUMBERED.matcher(line);
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                lines.put(n, new Line(n, m.group(2), m.group(3)));
            }
        }
        return lines;
    }
}
