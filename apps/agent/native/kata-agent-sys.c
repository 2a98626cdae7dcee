/*
 * kata-agent-sys: the few system calls the agent needs and Node lacks, for a guest that has no
 * mount(8) or date(1) (the pod's network is set up with iproute2's ip). One operation per run:
 *   kata-agent-sys mount FSTYPE SOURCE TARGET [OPTIONS]   (options as in fstab: ro,nosuid,bind,size=1m)
 *   kata-agent-sys umount TARGET                          (lazy when busy)
 *   kata-agent-sys settime SECONDS MICROSECONDS
 *   kata-agent-sys pty COMMAND [ARGS...]                  (the debug console, see do_pty)
 *   kata-agent-sys reseed < BYTES                         (mixes stdin into the RNG, reseeds the CRNG)
 * Exit 0 on success; otherwise the error on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what, const char *arg) {
  fprintf(stderr, "%s %s: %s\n", what, arg, strerror(errno));
  return 1;
}

static const struct { const char *name; unsigned long set, clear; } FLAGS[] = {
  {"ro", MS_RDONLY, 0}, {"rw", 0, MS_RDONLY}, {"nosuid", MS_NOSUID, 0}, {"suid", 0, MS_NOSUID},
  {"nodev", MS_NODEV, 0}, {"dev", 0, MS_NODEV}, {"noexec", MS_NOEXEC, 0}, {"exec", 0, MS_NOEXEC},
  {"sync", MS_SYNCHRONOUS, 0}, {"async", 0, MS_SYNCHRONOUS}, {"noatime", MS_NOATIME, 0},
  {"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0}, {"strictatime", MS_STRICTATIME, 0},
  {"bind", MS_BIND, 0}, {"rbind", MS_BIND | MS_REC, 0}, {"defaults", 0, 0},
};

/* Splits fstab-style options into mount flags and the filesystem's data string. */
static unsigned long parse_options(char *options, char *data, size_t size) {
  unsigned long flags = 0;
  data[0] = 0;
  for (char *save = NULL, *o = strtok_r(options, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    size_t i = 0, n = sizeof FLAGS / sizeof FLAGS[0];
    while (i < n && strcmp(o, FLAGS[i].name) != 0) i++;
    if (i < n) {
      flags = (flags | FLAGS[i].set) & ~FLAGS[i].clear;
    } else if (strlen(data) + strlen(o) + 2 < size) {
      if (data[0]) strcat(data, ",");
      strcat(data, o);
    }
  }
  return flags;
}

static int do_mount(const char *fstype, const char *source, const char *target, char *options) {
  char data[1024];
  unsigned long flags = parse_options(options, data, sizeof data);
  if (mount(source, target, (flags & MS_BIND) ? NULL : fstype, flags, data[0] ? data : NULL) != 0) return fail("mount", target);
  /* A bind mount ignores flags such as ro until remounted. */
  if ((flags & MS_BIND) && (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) &&
      mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (flags & ~MS_REC), NULL) != 0)
    return fail("remount", target);
  return 0;
}

static int write_all(int fd, const char *buf, ssize_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= n;
  }
  return 0;
}

/*
 * Runs COMMAND as a session leader on a new pty (its controlling terminal) and copies our stdin
 * to the pty and the pty to our stdout, for the agent, which has no pty of its own to give.
 * The end of stdin only stops that copy (a client may half-close; a terminal EOF character would
 * race with the shell switching its line discipline). Ends when the command exits, after its
 * last output, or on SIGTERM/SIGHUP (the console connection went away: the command's session is
 * hung up). Exits with the command's status.
 */
static int do_pty(char **argv) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return fail("posix_openpt", argv[0]);
  const char *slave_name = ptsname(master);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  pid_t pid = fork();
  if (sfd < 0 || pid < 0) return fail("fork", argv[0]);
  if (pid == 0) {
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    int slave = -1;
    if (setsid() < 0 || (slave = open(slave_name, O_RDWR)) < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) _exit(fail("pty", slave_name));
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2) close(slave);
    execvp(argv[0], argv);
    _exit(fail("exec", argv[0]) + 126);
  }
  signal(SIGPIPE, SIG_IGN);
  char buf[16384];
  int status = 0, exited = 0, hangup = 0;
  struct pollfd p[3] = { { .fd = sfd, .events = POLLIN }, { .fd = master, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
  while (!exited && !hangup) {
    if (poll(p, p[2].fd < 0 ? 2 : 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) hangup |= si.ssi_signo != SIGCHLD;
      exited = waitpid(pid, &status, WNOHANG) == pid;
    }
    if (p[1].revents) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0 || write_all(1, buf, n) < 0) hangup = 1; /* EIO: nothing holds the pty any more */
    }
    if (p[2].fd >= 0 && p[2].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) p[2].fd = -1;
      else if (write_all(master, buf, n) < 0) hangup = 1;
    }
  }
  if (exited) { /* pass on what the command wrote just before it exited */
    fcntl(master, F_SETFL, O_NONBLOCK);
    ssize_t n;
    while ((n = read(master, buf, sizeof buf)) > 0 && write_all(1, buf, n) == 0) {}
  } else {
    kill(-pid, SIGHUP);
    kill(-pid, SIGCONT);
    waitpid(pid, &status, 0);
  }
  close(master);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// ReseedRandomDev: the host's bytes go into the input pool (/dev/random), then the CRNG rekeys
// from it at once instead of at its next scheduled reseed (a VM cloned from a template must not
// go on with its template's random state).
static int do_reseed(void) {
  char buf[4096];
  size_t len = 0;
  for (ssize_t n; len < sizeof buf && (n = read(0, buf + len, sizeof buf - len)) != 0;) {
    if (n < 0 && errno != EINTR) return fail("read", "stdin");
    if (n > 0) len += n;
  }
  if (len == 0) {
    fprintf(stderr, "reseed: no data on stdin\n");
    return 1;
  }
  int fd = open("/dev/random", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("open", "/dev/random");
  if (write_all(fd, buf, len) != 0) return fail("write", "/dev/random");
  if (ioctl(fd, RNDRESEEDCRNG) != 0) return fail("ioctl RNDRESEEDCRNG", "/dev/random");
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  const char *op = argc > 1 ? argv[1] : "";
  if (strcmp(op, "mount") == 0 && (argc == 5 || argc == 6)) {
    char none[] = "";
    return do_mount(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : none);
  }
  if (strcmp(op, "umount") == 0 && argc == 3) {
    if (umount2(argv[2], 0) == 0) return 0;
    if (errno == EBUSY && umount2(argv[2], MNT_DETACH) == 0) return 0;
    return fail("umount", argv[2]);
  }
  if (strcmp(op, "settime") == 0 && argc == 4) {
    struct timeval tv = { .tv_sec = strtoll(argv[2], NULL, 10), .tv_usec = strtol(argv[3], NULL, 10) };
    return settimeofday(&tv, NULL) == 0 ? 0 : fail("settimeofday", argv[2]);
  }
  if (strcmp(op, "pty") == 0 && argc >= 3) return do_pty(argv + 2);
  if (strcmp(op, "reseed") == 0 && argc == 2) return do_reseed();
  fprintf(stderr, "usage: kata-agent-sys mount FSTYPE SOURCE TARGET [OPTIONS] | umount TARGET | settime SEC USEC | pty COMMAND [ARGS...] | reseed < BYTES\n");
  return 2;
}
