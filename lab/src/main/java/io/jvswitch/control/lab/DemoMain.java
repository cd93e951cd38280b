package io.jvswitch.control.lab;

import io.jvswitch.control.Main;

import java.io.PrintWriter;
import java.util.stream.Stream;

/**
 * {@code ./jvs demo}: the launcher runs this from the lab module's jar, so the demo and the harness
 * it drives stay out of the product jar. The CLI's {@code demo} command describes it (help, man
 * page, reference); any argument goes to that command, so {@code --version} or a mistake is
 * answered exactly as the CLI answers it.
 */
public final class DemoMain {
    private DemoMain() {}

    public static void main(String[] args) {
        if (args.length > 0) {
            Main.main(Stream.concat(Stream.of("demo"), Stream.of(args)).toArray(String[]::new));
            return;
        }
        final PrintWriter out = new PrintWriter(System.out, true);
        final PrintWriter err = new PrintWriter(System.err, true);
        int code;
        try {
            code = new Demo(out).run();
        } catch (Exception e) {
            // as the CLI reports an unexpected failure: one line, then the trace
            err.println("jvs: " + e);
            e.printStackTrace(err);
            code = 1;
        }
        System.exit(code);
    }
}
