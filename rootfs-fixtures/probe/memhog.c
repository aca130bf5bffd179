/* memhog MB: allocates MB megabytes, one MiB at a time, writing to every page so the memory is really
 * charged to the cgroup. Prints "allocated N MiB" after each step (flushed, so a test reading the log
 * sees how far it got before an OOM kill), then "done N MiB". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: memhog MB\n"); return 2; }
    long total = atol(argv[1]);
    const size_t mib = 1024 * 1024;
    for (long i = 1; i <= total; i++) {
        char *chunk = malloc(mib);          /* never freed: we want the memory to stay charged */
        if (!chunk) { printf("malloc failed after %ld MiB\n", i - 1); return 1; }
        memset(chunk, 0xA5, mib);           /* touch every page, or the kernel would not back it */
        printf("allocated %ld MiB\n", i);
        fflush(stdout);
    }
    printf("done %ld MiB\n", total);
    return 0;
}
