/* secprobe CHECK...: tries, from inside a container, the things a confined container must not be able to do,
 * and prints one line per check: "<check> <result>", where result is "ok" or the errno's name (EPERM, ENOSYS,
 * EACCES, ENOENT, EROFS…). Each check is the raw system call, so what is seen is the kernel's answer (seccomp,
 * capabilities, the device cgroup, read-only mounts), not a shell's interpretation. Exit status: 0.
 *
 *   status                   the Seccomp, NoNewPrivs, CapEff and CapBnd lines of /proc/self/status
 *   userns                   unshare(CLONE_NEWUSER)
 *   mount                    mount("tmpfs", "/mnt", "tmpfs") (then umount)
 *   userns-mount             unshare(CLONE_NEWUSER|CLONE_NEWNS), then a tmpfs mount inside it (in a child)
 *   keyctl | add_key | request_key | clone3 | userfaultfd | io_uring | kexec | pivot_root | swapon | bpf
 *   | perf_event_open | ptrace | personality | acct | settime | reboot | init_module | open_by_handle
 *                            that system call with harmless arguments
 *   dev c|b MAJ:MIN          mknod a node in /tmp, then open it read-only: two lines, "mknod c 7:0 …" and
 *                            "open c 7:0 …" (the node is removed again)
 *   open PATH                open(PATH, O_RDONLY) and read one byte: "open PATH ok (N bytes)" or the errno
 *   write PATH               open(PATH, O_WRONLY): whether PATH (a file under /proc or /sys, say) is writable
 *   mkdir PATH               mkdir(PATH) (then rmdir): whether a file system is writable
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case EACCES: return "EACCES";
    case ENOSYS: return "ENOSYS"; case EINVAL: return "EINVAL"; case EFAULT: return "EFAULT";
    case EROFS: return "EROFS"; case EBADF: return "EBADF"; case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV"; case EEXIST: return "EEXIST"; case EBUSY: return "EBUSY";
    case ENOTDIR: return "ENOTDIR"; case EISDIR: return "EISDIR"; case ESRCH: return "ESRCH";
    case EOPNOTSUPP: return "EOPNOTSUPP"; case ENOMEM: return "ENOMEM"; case EIO: return "EIO";
    case ENOTTY: return "ENOTTY"; case ENOTBLK: return "ENOTBLK"; case EDQUOT: return "EDQUOT";
    default: { static char buf[32]; snprintf(buf, sizeof buf, "E%d", e); return buf; }
    }
}

/* Prints "<name> ok" when rc >= 0, else "<name> <ERRNO>". */
static void report(const char *name, long rc) {
    if (rc >= 0) printf("%s ok\n", name);
    else printf("%s %s\n", name, errname(errno));
}

static void status_lines(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[512];
    if (!f) { printf("status %s\n", errname(errno)); return; }
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "Seccomp:", 8) || !strncmp(line, "NoNewPrivs:", 11) ||
            !strncmp(line, "CapEff:", 7) || !strncmp(line, "CapBnd:", 7)) {
            char *colon = strchr(line, ':'), *value = colon + 1;
            while (*value == ' ' || *value == '\t') value++;
            value[strcspn(value, "\n")] = 0;
            *colon = 0;
            printf("%s %s\n", line, value);
        }
    }
    fclose(f);
}

/* A child does the unshare, so the probe itself stays where it was for the checks after this one. */
static void in_child(const char *name, int (*body)(void)) {
    pid_t pid = fork();
    if (pid == 0) _exit(body());
    int st = 0;
    waitpid(pid, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    if (code == 0) printf("%s ok\n", name);
    else printf("%s %s\n", name, errname(code));
}

static int userns_body(void) { return unshare(CLONE_NEWUSER) == 0 ? 0 : errno; }

static int userns_mount_body(void) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno;
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return errno;
    if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL) != 0) return errno;
    return 0;
}

static void device(const char *type, const char *majmin) {
    unsigned maj = 0, min = 0;
    if (sscanf(majmin, "%u:%u", &maj, &min) != 2) { fprintf(stderr, "secprobe: bad MAJ:MIN %s\n", majmin); exit(2); }
    char path[64], name[80];
    snprintf(path, sizeof path, "/tmp/secprobe-%s-%u-%u", type, maj, min);
    unlink(path);
    snprintf(name, sizeof name, "mknod %s %s", type, majmin);
    mode_t kind = type[0] == 'b' ? S_IFBLK : S_IFCHR;
    long rc = mknod(path, kind | 0600, makedev(maj, min));
    report(name, rc);
    snprintf(name, sizeof name, "open %s %s", type, majmin);
    if (rc != 0) { printf("%s ENOENT\n", name); return; }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    report(name, fd);
    if (fd >= 0) close(fd);
    unlink(path);
}

static void open_read(const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) { printf("open %s %s\n", path, errname(errno)); return; }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) printf("open %s read-%s\n", path, errname(errno));
    else printf("open %s ok (%zd bytes)\n", path, n);
    close(fd);
}

static void one(int argc, char **argv, int *i) {
    const char *c = argv[*i];
    char name[4200];
    if (!strcmp(c, "status")) status_lines();
    else if (!strcmp(c, "userns")) in_child("userns", userns_body);
    else if (!strcmp(c, "userns-mount")) in_child("userns-mount", userns_mount_body);
    else if (!strcmp(c, "mount")) {
        mkdir("/mnt", 0755);   /* the image may have none: without it the answer would be ENOENT, not the filter's */
        long rc = mount("tmpfs", "/mnt", "tmpfs", 0, NULL);
        report("mount", rc);
        if (rc == 0) umount("/mnt");
    }
    else if (!strcmp(c, "keyctl")) report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
    else if (!strcmp(c, "add_key")) report("add_key", syscall(SYS_add_key, "user", "secprobe", "x", 1, -3));
    else if (!strcmp(c, "request_key")) report("request_key", syscall(SYS_request_key, "user", "secprobe-none", NULL, 0));
    else if (!strcmp(c, "clone3")) report("clone3", syscall(435 /* clone3 */, NULL, 0));
    else if (!strcmp(c, "userfaultfd")) {
        long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
        report("userfaultfd", fd);
        if (fd >= 0) close((int)fd);
    }
    else if (!strcmp(c, "io_uring")) report("io_uring", syscall(425 /* io_uring_setup */, 1, NULL));
    else if (!strcmp(c, "kexec")) report("kexec", syscall(SYS_kexec_load, 0, 0, NULL, 0));
    else if (!strcmp(c, "pivot_root")) report("pivot_root", syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"));
    else if (!strcmp(c, "swapon")) report("swapon", syscall(SYS_swapon, "/nonexistent", 0));
    else if (!strcmp(c, "bpf")) report("bpf", syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0));
    else if (!strcmp(c, "perf_event_open")) report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    else if (!strcmp(c, "ptrace")) report("ptrace", syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, NULL, NULL));
    else if (!strcmp(c, "personality")) report("personality", syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */));
    else if (!strcmp(c, "acct")) report("acct", syscall(SYS_acct, NULL));
    else if (!strcmp(c, "settime")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        report("settime", syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
    }
    else if (!strcmp(c, "reboot")) report("reboot", syscall(SYS_reboot, 0, 0, 0 /* invalid magic: EINVAL if allowed */, NULL));
    else if (!strcmp(c, "init_module")) report("init_module", syscall(SYS_init_module, NULL, 0, ""));
    else if (!strcmp(c, "open_by_handle")) report("open_by_handle", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY));
    else if (!strcmp(c, "dev") && *i + 2 < argc) { device(argv[*i + 1], argv[*i + 2]); *i += 2; }
    else if (!strcmp(c, "open") && *i + 1 < argc) { open_read(argv[++*i]); }
    else if (!strcmp(c, "write") && *i + 1 < argc) {
        const char *path = argv[++*i];
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY);
        snprintf(name, sizeof name, "write %s", path);
        report(name, fd);
        if (fd >= 0) close(fd);
    }
    else if (!strcmp(c, "mkdir") && *i + 1 < argc) {
        const char *path = argv[++*i];
        long rc = mkdir(path, 0700);
        snprintf(name, sizeof name, "mkdir %s", path);
        report(name, rc);
        if (rc == 0) rmdir(path);
    }
    else { fprintf(stderr, "secprobe: unknown check %s\n", c); exit(2); }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: secprobe CHECK... (see the source's header)\n"); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) one(argc, argv, &i);
    return 0;
}
