/* forkbomb N: forks up to N children that just sleep, to test a pids limit (pids.max). Prints one JSON
 * line: how many forks were asked for, how many succeeded, and the errno of the first failure (EAGAIN
 * when the pids cgroup says no). Then kills and reaps every child, and exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: forkbomb N\n"); return 2; }
    int wanted = atoi(argv[1]), forked = 0, first_errno = 0;
    pid_t *children = calloc(wanted > 0 ? wanted : 1, sizeof(pid_t));
    while (forked < wanted) {
        pid_t pid = fork();                 /* a new process, charged to our pids cgroup */
        if (pid == 0) { for (;;) pause(); } /* child: sleep until killed */
        if (pid < 0) { first_errno = errno; break; }
        children[forked++] = pid;
    }
    printf("{\"requested\":%d,\"forked\":%d,\"errno\":%d,\"error\":\"%s\"}\n",
           wanted, forked, first_errno, first_errno ? strerror(first_errno) : "");
    fflush(stdout);
    for (int i = 0; i < forked; i++) kill(children[i], SIGKILL);   /* end each child */
    for (int i = 0; i < forked; i++) waitpid(children[i], NULL, 0); /* and reap it: no zombies left */
    return 0;
}
