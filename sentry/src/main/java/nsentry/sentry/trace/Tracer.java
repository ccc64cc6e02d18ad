package nsentry.sentry.trace;

import java.io.PrintStream;
import java.util.Locale;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

import nsentry.abi.Errno;
import nsentry.proto.TraceEvent;

/**
 * Writes one line per intercepted syscall: time, tid, name, decoded arguments, verdict,
 * time spent, and for refused calls the rule of Linux that refused them. Costs nothing
 * when tracing is off: callers check {@link #enabled()} before building anything.
 */
public final class Tracer {
    public enum Format { TEXT, JSON }

    private final PrintStream out;
    private final Format format;
    private final boolean errorsOnly;
    /** Only for the JSON format: JsonFormat boots java.util.logging and the security providers (~15 ms). */
    private final JsonFormat.Printer json;

    private Tracer(PrintStream out, Format format, boolean errorsOnly) {
        this.out = out;
        this.format = format;
        this.errorsOnly = errorsOnly;
        this.json = out != null && format == Format.JSON ? JsonFormat.printer().omittingInsignificantWhitespace() : null;
    }

    public static Tracer off() {
        return new Tracer(null, Format.TEXT, false);
    }

    public static Tracer to(PrintStream out, Format format, boolean errorsOnly) {
        return new Tracer(out, format, errorsOnly);
    }

    public boolean enabled() {
        return out != null;
    }

    /** Whether an event with this outcome would be printed. */
    public boolean wants(boolean failed) {
        return out != null && (failed || !errorsOnly);
    }

    public void emit(TraceEvent e) {
        if (!wants(!e.getErrnoName().isEmpty())) {
            return;
        }
        if (format == Format.JSON) {
            try {
                out.println(json.print(e));
            } catch (InvalidProtocolBufferException ex) {
                out.println("{\"error\":\"unprintable trace event\"}");
            }
        } else {
            out.println(text(e));
        }
        out.flush();
    }

    /** A lifecycle note (registration, exits, exec, rewrites): a TraceEvent with only {@code note} set. */
    public void note(long timeNs, int tid, String message) {
        if (out == null || errorsOnly) {
            return;
        }
        if (format == Format.JSON) {
            try {
                out.println(json.print(TraceEvent.newBuilder().setTimeNs(timeNs).setTid(tid).setNote(message).build()));
            } catch (InvalidProtocolBufferException ex) {
                out.println("{\"error\":\"unprintable trace note\"}");
            }
        } else {
            out.println(String.format(Locale.ROOT, "[%11.6f] %6d -- %s", timeNs / 1e9, tid, message));
        }
        out.flush();
    }

    static String text(TraceEvent e) {
        StringBuilder sb = new StringBuilder(128);
        sb.append(String.format(Locale.ROOT, "[%11.6f] %6d ", e.getTimeNs() / 1e9, e.getTid()));
        if (e.getNsPid() != 0) {
            sb.append("(ns pid ").append(e.getNsPid()).append(") ");
        }
        sb.append(e.getSyscall()).append('(').append(e.getArgs()).append(") = ");
        if (e.getVerdict().equals("continued")) {
            sb.append("<kernel>");
        } else if (!e.getErrnoName().isEmpty()) {
            Errno errno = Errno.valueOf(e.getErrnoName());
            sb.append('-').append(e.getErrnoName()).append(" (").append(errno.description()).append(')');
        } else {
            sb.append(e.getResult());
        }
        sb.append(String.format(Locale.ROOT, " <%.1fus>", e.getDurationNs() / 1e3));
        if (!e.getExplanation().isEmpty()) {
            sb.append(": ").append(e.getExplanation());
            if (!e.getRule().isEmpty()) {
                sb.append(" (").append(e.getRule()).append(')');
            }
        }
        for (var ns : e.getNamespacesList()) {
            sb.append(" ").append(ns.getType()).append(":[").append(ns.getInode()).append(']');
            if (!ns.getLabel().isEmpty()) {
                sb.append(" \"").append(ns.getLabel()).append('"');
            }
        }
        return sb.toString();
    }
}
