package dev.blt.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/**
 * Flink's keyed operator test harness for an operator keyed by stream id, whose metrics the test can
 * read ({@link #counter}): the harness's own environment registers none.
 */
final class KeyedHarness<IN, OUT> extends KeyedOneInputStreamOperatorTestHarness<String, IN, OUT> {

    private final Map<String, Metric> metrics;

    private KeyedHarness(OneInputStreamOperator<IN, OUT> operator, KeySelector<IN, String> key, MockEnvironment env,
                         Map<String, Metric> metrics) throws Exception {
        super(operator, key, Types.STRING, env);
        this.metrics = metrics;
    }

    /** A harness around operator, set up and not yet opened (restore state first, or call open()). */
    static <IN, OUT> KeyedHarness<IN, OUT> of(OneInputStreamOperator<IN, OUT> operator, KeySelector<IN, String> key)
            throws Exception {
        Map<String, Metric> metrics = new ConcurrentHashMap<>();
        TestingMetricRegistry registry = TestingMetricRegistry.builder()
                .setRegisterConsumer((metric, name, group) -> metrics.put(group.getMetricIdentifier(name), metric))
                .build();
        TaskMetricGroup task = TaskManagerMetricGroup.createTaskManagerMetricGroup(registry, "localhost",
                ResourceID.generate()).addJob(new JobID(), "job").addTask(ExecutionAttemptID.randomId(), "task");
        MockEnvironment env = new MockEnvironmentBuilder().setTaskName("MockTask").setManagedMemorySize(3 * 1024 * 1024)
                .setBufferSize(1024).setMaxParallelism(1).setParallelism(1).setSubtaskIndex(0).setMetricGroup(task)
                .build();
        return new KeyedHarness<>(operator, key, env, metrics);
    }

    /** The count of the operator's counter {@code blt.<name>}. */
    long counter(String name) {
        List<String> found = metrics.keySet().stream()
                .filter(id -> id.endsWith(".blt." + name) && metrics.get(id) instanceof Counter).sorted().toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one counter blt." + name + ", found " + found + " among " + metrics.keySet());
        }
        return ((Counter) metrics.get(found.get(0))).getCount();
    }

    /** Values of a side output so far (empty when nothing went there). */
    <X> List<X> side(OutputTag<X> tag) {
        List<X> values = new ArrayList<>();
        var queue = getSideOutput(tag);
        if (queue != null) {
            for (StreamRecord<X> r : queue) {
                values.add(r.getValue());
            }
        }
        return values;
    }

    /** Moves processing time forward by ms, firing every timer due on the way. */
    void advance(long ms) throws Exception {
        setProcessingTime(getProcessingTime() + ms);
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            getEnvironment().close();
        }
    }
}
