package io.jvswitch.bench.e2e;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps the paths from taking CPU from one another: before a test, the {@linkplain
 * DataplanePath#pausablePids pausable} processes of every other path are stopped and those of the
 * measured path continued. Without it a jvs daemon in a polling idle mode would spin through the
 * other paths' tests, on a small machine taking a core from the very reference it is compared with.
 *
 * <p>Signals go by PID to processes the harness started, through {@code kill(2)}.
 */
final class PathIsolation {
    static final int SIGCONT = 18;
    static final int SIGSTOP = 19;

    private static final MethodHandle KILL = Linker.nativeLinker()
            .downcallHandle(
                    Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final Set<Long> stopped = new LinkedHashSet<>();

    /** Stops the other paths' pausable processes, continues {@code measured}'s. */
    synchronized void measure(DataplanePath measured, List<DataplanePath> all) {
        for (DataplanePath other : all) {
            if (other != measured) {
                for (long pid : other.pausablePids()) {
                    if (stopped.add(pid)) {
                        signal(pid, SIGSTOP);
                    }
                }
            }
        }
        for (long pid : measured.pausablePids()) {
            if (stopped.remove(pid)) {
                signal(pid, SIGCONT);
            }
        }
    }

    /** Continues every process stopped here: before the paths are closed, so they can handle SIGTERM. */
    synchronized void releaseAll() {
        for (long pid : new ArrayList<>(stopped)) {
            signal(pid, SIGCONT);
        }
        stopped.clear();
    }

    synchronized Set<Long> stopped() {
        return Set.copyOf(stopped);
    }

    private static void signal(long pid, int signal) {
        try {
            // An exited process (ESRCH) is no harm: its path reports its own failure.
            final int ignored = (int) KILL.invokeExact((int) pid, signal);
        } catch (Throwable e) {
            throw new IllegalStateException("kill(" + pid + ", " + signal + ") failed", e);
        }
    }
}
