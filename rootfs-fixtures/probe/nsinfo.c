/* nsinfo: prints, as one JSON object, what a test needs to know about the process it runs as:
 * its ids, hostname, the inode of each namespace it is in, its effective capabilities, cwd and cgroups.
 * Two processes are in the same namespace exactly when the inodes of their /proc/self/ns/X links match. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prints s as a JSON string literal. */
static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

int main(void) {
    char hostname[256] = "", cwd[4096] = "", line[4096];
    gethostname(hostname, sizeof hostname);
    if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "?");

    printf("{\"pid\":%d,\"ppid\":%d,\"uid\":%u,\"gid\":%u,\"euid\":%u,\"hostname\":",
           getpid(), getppid(), getuid(), getgid(), geteuid());
    json_string(hostname);

    /* Each /proc/self/ns/<name> is a magic link; stat() follows it to the namespace's inode. */
    printf(",\"ns\":{");
    DIR *ns = opendir("/proc/self/ns");
    struct dirent *e;
    int first = 1;
    while (ns && (e = readdir(ns))) {
        if (e->d_name[0] == '.') continue;
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "/proc/self/ns/%s", e->d_name);
        if (stat(path, &st) != 0) continue;
        printf("%s\"%s\":%lu", first ? "" : ",", e->d_name, (unsigned long)st.st_ino);
        first = 0;
    }
    if (ns) closedir(ns);
    printf("}");

    /* The effective capability set, as the kernel shows it: "CapEff:\t000001ffffffffff". */
    FILE *status = fopen("/proc/self/status", "r");
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "CapEff:", 7) == 0) {
            line[strcspn(line, "\n")] = 0;
            printf(",\"capeff\":");
            json_string(line + 7 + strspn(line + 7, " \t"));
        }
    if (status) fclose(status);

    printf(",\"cwd\":");
    json_string(cwd);

    /* Every line of /proc/self/cgroup: "0::/minicontainer/<id>" on v2, one per controller on v1. */
    printf(",\"cgroups\":[");
    FILE *cg = fopen("/proc/self/cgroup", "r");
    first = 1;
    while (cg && fgets(line, sizeof line, cg)) {
        line[strcspn(line, "\n")] = 0;
        if (!first) putchar(',');
        json_string(line);
        first = 0;
    }
    if (cg) fclose(cg);
    printf("]}\n");
    return 0;
}
