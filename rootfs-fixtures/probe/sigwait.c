/* sigwait: prints "ready", waits for SIGTERM, SIGINT or SIGHUP, prints the signal's name ("SIGTERM")
 * and exits 0. Tests use it to check that `stop` / `kill -s` deliver the right signal to the container.
 * The signals are blocked and taken with sigwait(), which works even as PID 1 (the kernel drops
 * default-action signals sent to a namespace's init, but never blocked ones). */
#include <signal.h>
#include <stdio.h>

int main(void) {
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGHUP);
    sigprocmask(SIG_BLOCK, &wanted, NULL);   /* hold them pending, to be taken by sigwait() */

    printf("ready\n");
    fflush(stdout);

    int sig = 0;
    sigwait(&wanted, &sig);                  /* sleep until one of them arrives */
    printf("%s\n", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP");
    fflush(stdout);
    return 0;
}
