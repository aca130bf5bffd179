/* zombies N: leaves N zombie processes behind that only an init process can clean up.
 *
 * A zombie is reaped only by its parent, and a process becomes PID 1's child only when its own parent
 * dies (it is "reparented"). So the naive version - fork N children that exit, then exec sleep without
 * waiting - makes zombies of OUR process, which no --init can reap. Instead:
 *
 *   zombies (main) --fork--> middle --fork--> N children, each exits at once
 *                             middle exits without waiting for them
 *
 * The N dead children are orphaned and reparented to PID 1 of the container (the kernel sends PID 1 a
 * SIGCHLD for each). main reaps only `middle`, prints the orphans' pids as JSON, then execs
 * `sleep 3600`, a program that never calls wait().
 *   - without --init, main itself is PID 1: the orphans become children of `sleep` and stay
 *     zombies (state Z, ppid 1) for as long as the container runs;
 *   - with --init, a reaper is PID 1 and main is PID 2: the reaper waits for the orphans, so after a
 *     moment no zombie is left. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: zombies N\n"); return 2; }
    int count = atoi(argv[1]);
    int pipefd[2];
    pipe(pipefd);                              /* middle reports the orphans' pids through this */

    pid_t middle = fork();
    if (middle == 0) {
        close(pipefd[0]);
        for (int i = 0; i < count; i++) {
            pid_t child = fork();
            if (child == 0) _exit(0);          /* the future zombie: exits at once */
            if (child > 0) write(pipefd[1], &child, sizeof child);
        }
        _exit(0);                              /* die without wait(): the children are orphaned */
    }
    close(pipefd[1]);
    waitpid(middle, NULL, 0);                  /* reap only the middle process */

    printf("{\"orphaned\":[");
    pid_t pid;
    for (int i = 0; read(pipefd[0], &pid, sizeof pid) == sizeof pid; i++) printf("%s%d", i ? "," : "", pid);
    printf("],\"pid\":%d}\n", getpid());
    fflush(stdout);
    close(pipefd[0]);

    execlp("sleep", "sleep", "3600", (char *)NULL);   /* replace ourselves with a non-reaping sleeper */
    for (;;) pause();                                 /* no sleep binary: sleep without reaping here */
}
