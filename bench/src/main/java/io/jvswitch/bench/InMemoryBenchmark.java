package io.jvswitch.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The run settings the in-memory benchmarks share, which JMH takes from a superclass: operations
 * per second, 5 warm-up and 5 measured iterations of 1 s, one fork, and the JVM flags the
 * dataplane's off-heap and native code needs in that fork (the same ones {@code jvs} starts the
 * daemon with). A benchmark that needs other settings declares its own, which take precedence.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "--add-exports",
            "java.base/jdk.internal.misc=ALL-UNNAMED"
        })
public abstract class InMemoryBenchmark {}
