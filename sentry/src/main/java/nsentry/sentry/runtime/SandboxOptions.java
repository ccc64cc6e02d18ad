package nsentry.sentry.runtime;

import java.util.List;

import nsentry.sentry.trace.Tracer;

/** What `nsentry run` was asked to do. */
public record SandboxOptions(
        List<String> command,
        boolean emulatedRoot,
        Tracer tracer,
        int maxTasks,
        boolean debuggable) {
}
