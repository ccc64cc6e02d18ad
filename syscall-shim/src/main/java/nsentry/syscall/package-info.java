/**
 * The Java side of interception: transport and native access, no policy.
 *
 * <ul>
 *   <li>{@link nsentry.syscall.Linux} — the only class that calls native code (jffi).
 *   <li>{@link nsentry.syscall.SeccompListener} — receive and answer seccomp notifications.
 *   <li>{@link nsentry.syscall.WorkloadMemory} — process_vm_readv/writev; bad pointers are
 *       {@link nsentry.syscall.MemoryFault}s.
 *   <li>{@link nsentry.syscall.EventLoop} — the sentry's single thread: poll(2) on the
 *       listener, epoll(7) for the other fds (pidfds, the control socket), level-triggered.
 *   <li>{@link nsentry.syscall.ControlChannel}, {@link nsentry.syscall.FrameReader},
 *       {@link nsentry.syscall.FrameCodec}, {@link nsentry.syscall.Handshake} — the protobuf
 *       link to the shim.
 * </ul>
 *
 * <p>Typical wiring (all on the loop thread):
 * <pre>{@code
 * Linux linux = Linux.load();
 * EventLoop loop = EventLoop.create(linux, "nsentry-sentry");
 * ShimFds fds = ShimFds.fromEnvironment(System.getenv());
 * ControlChannel control = ControlChannel.open(loop, linux, fds.controlFd(), listener);
 * control.send(Handshake.helloMessage(List.of()));
 * // on ShimMessage.workload_started:
 * SeccompListener seccomp = new SeccompListener(linux, linux.recvFd(fds.fdChannel()));
 * seccomp.enableSyncWakeup();
 * loop.watchDirect(seccomp.fd(), events -> {
 *     if ((events & EventLoop.EPOLLIN) != 0) {
 *         Notification n = seccomp.receivePending(); // null: the task died
 *         if (n != null) handle(n);
 *     } else if ((events & EventLoop.EPOLLHUP) != 0) {
 *         // no task left in the filter: cancel the watch, wind down
 *     }
 * });
 * }</pre>
 *
 * <p>Fds watched by the loop must be unwatched ({@code Registration.cancel()}) before
 * they are closed. Nothing here keeps static mutable state.
 */
package nsentry.syscall;
