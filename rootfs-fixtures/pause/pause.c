/* pause: the process a Kubernetes pod sandbox runs. It holds the pod's namespaces (network, IPC, UTS) open
 * by being alive in them, and, as PID 1 of a pod that shares its PID namespace, reaps orphans. It waits for
 * SIGTERM or SIGINT (the CRI's StopPodSandbox sends SIGTERM first, as containerd stops any task) and exits 0.
 * Built static (gcc -static -Os -s) so the image is one small file and nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig) { (void)sig; stop = 1; }

/* SIGCHLD's handler is what wakes pause() when an orphan dies; the reaping is done in the loop. */
static void on_child(int sig) { (void)sig; }

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);

    if (getpid() != 1)
        fprintf(stderr, "pause: not PID 1 (pid %d); still waiting for SIGTERM\n", (int)getpid());
    while (!stop) {
        pause();
        while (waitpid(-1, NULL, WNOHANG) > 0) {}   /* every child that has died, not just one */
    }
    return 0;
}
