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
 * per second, 5 warm-up and 5 measured iterations of 1 s, one fork. The fork gets no JVM flags from
 * here: JMH gives it those of the JVM that runs JMH, which {@code ./jvs jmh} starts with the flags
 * the parent pom defines (the dataplane's off-heap and native code needs them). A benchmark that
 * needs other settings declares its own, which take precedence.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public abstract class InMemoryBenchmark {}
