/* cpuburn SECONDS: spins on one CPU for SECONDS of wall-clock time, then prints as JSON the wall time and
 * the CPU time (user + system, from getrusage) it got while spinning. Under a CPU quota of 0.5 CPUs,
 * cpu_seconds comes out near half of wall_seconds. Only the spin counts: as a container's PID 1 this
 * process was the init stage before execve, and getrusage(RUSAGE_SELF) includes that time too (seen in
 * the VM lane, where emulation makes the init stage take seconds). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);   /* wall time that never jumps */
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_time(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);        /* CPU time this process was actually given */
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
         + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: cpuburn SECONDS\n"); return 2; }
    double cpu_start = cpu_time();
    double seconds = atof(argv[1]), start = now();
    volatile unsigned long spins = 0;
    while (now() - start < seconds) spins++;
    double wall = now() - start;
    double cpu = cpu_time() - cpu_start;
    printf("{\"wall_seconds\":%.3f,\"cpu_seconds\":%.3f}\n", wall, cpu);
    return 0;
}
