/*
 * Starts a process inside a running container without crun: what `crun exec` does for a
 * container without seccomp, AppArmor, SELinux or a user namespace (the agent sends those to
 * crun). Under TCG `crun exec` took ~95 ms of an exec's ~130 ms in the guest: it reads the
 * container's state and config and re-derives what the agent already knows. Kata's agent execs
 * in its own code (rustjail's setns path) the same way.
 *
 * The plan is a file of NUL-terminated "key=value" records (args and env may hold newlines):
 *   pid=<init pid>  ns=<name under /proc/<pid>/ns>  uid=  gid=  group=  umask=<octal>
 *   cap.bounding= cap.effective= cap.permitted= cap.inheritable= cap.ambient=<CAP_NAME>
 *   caps=1 (the process has capabilities; without it they are left as they are)
 *   rlimit=<RLIMIT_NAME> <soft> <hard>  nnp=1  oom=<score>  cwd=  env=  arg=
 * The order of the steps is runc's (libcontainer's setns init): cgroup, namespaces, session and
 * terminal, rlimits, bounding set, user (keeping capabilities), capabilities, no_new_privs, cwd,
 * env, exec.
 */
#define _GNU_SOURCE
#include "exec-plan.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

#define MAX_LIST 4096

static const char *const CAP_NAMES[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
  "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS ((int)(sizeof CAP_NAMES / sizeof *CAP_NAMES))

static const struct { const char *name; int resource; } RLIMITS[] = {
  { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static int fail(char *err, size_t len, const char *fmt, const char *what) {
  int saved = errno;
  char msg[512];
  snprintf(msg, sizeof msg, fmt, what);
  snprintf(err, len, saved ? "%s: %s" : "%s", msg, strerror(saved));
  return -1;
}

/* A capability's bit, or -1 for a name this table does not know (skipped, as runc does). */
static int cap_bit(const char *name) {
  for (int i = 0; i < N_CAPS; i++) if (!strcmp(CAP_NAMES[i], name)) return i;
  return -1;
}

static int add_cap(struct exec_plan *p, const char *set, const char *name) {
  int bit = cap_bit(name);
  if (bit < 0) return 0;
  uint64_t b = 1ULL << bit;
  if (!strcmp(set, "bounding")) p->cap_bounding |= b;
  else if (!strcmp(set, "effective")) p->cap_effective |= b;
  else if (!strcmp(set, "permitted")) p->cap_permitted |= b;
  else if (!strcmp(set, "inheritable")) p->cap_inheritable |= b;
  else if (!strcmp(set, "ambient")) p->cap_ambient |= b;
  else return -1;
  return 0;
}

static int add_rlimit(struct exec_plan *p, const char *value) {
  char name[32];
  unsigned long long soft, hard;
  if (p->n_rlimits == PLAN_MAX_RLIMITS || sscanf(value, "%31s %llu %llu", name, &soft, &hard) != 3) return -1;
  for (size_t i = 0; i < sizeof RLIMITS / sizeof *RLIMITS; i++) {
    if (strcmp(RLIMITS[i].name, name)) continue;
    p->rlimits[p->n_rlimits++] = (struct plan_rlimit){ RLIMITS[i].resource, { soft, hard } };
    return 0;
  }
  return -1;
}

static int parse_num(const char *s, int base, long long *out) {
  char *end;
  errno = 0;
  *out = strtoll(s, &end, base);
  return errno || end == s || *end ? -1 : 0;
}

int exec_plan_read(const char *path, struct exec_plan *p, char *err, size_t len) {
  memset(p, 0, sizeof *p);
  p->cwd = "/";
  FILE *f = fopen(path, "re");
  if (!f) return fail(err, len, "exec plan %.400s", path);
  char *data = NULL;
  size_t size = 0;
  /* The records live as long as the process: env and args point into them. */
  FILE *mem = open_memstream(&data, &size);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, mem);
  fclose(f);
  fputc(0, mem);
  fclose(mem);
  static char *env[MAX_LIST + 1], *args[MAX_LIST + 1];
  int n_env = 0, n_args = 0;
  for (char *rec = data, *next; rec < data + size - 1; rec = next) {
    next = rec + strlen(rec) + 1;
    char *eq = strchr(rec, '=');
    if (!eq) { errno = 0; return fail(err, len, "exec plan: record without '=': %.64s", rec); }
    *eq = 0;
    const char *key = rec, *value = eq + 1;
    long long num = 0;
    int bad = 0;
    if (!strcmp(key, "arg")) bad = n_args == MAX_LIST || !(args[n_args++] = (char *)value);
    else if (!strcmp(key, "env")) bad = n_env == MAX_LIST || !(env[n_env++] = (char *)value);
    else if (!strcmp(key, "cwd")) p->cwd = value;
    else if (!strcmp(key, "pid")) { bad = parse_num(value, 10, &num) || num <= 0; p->init_pid = num; }
    else if (!strcmp(key, "ns")) bad = p->n_ns == PLAN_MAX_NS || !(p->ns[p->n_ns++] = value);
    else if (!strcmp(key, "uid")) { bad = parse_num(value, 10, &num); p->uid = num; }
    else if (!strcmp(key, "gid")) { bad = parse_num(value, 10, &num); p->gid = num; }
    else if (!strcmp(key, "group")) { bad = p->n_groups == PLAN_MAX_GROUPS || parse_num(value, 10, &num); p->groups[p->n_groups++] = num; }
    else if (!strcmp(key, "umask")) { bad = parse_num(value, 8, &num); p->umask = num; p->has_umask = 1; }
    else if (!strcmp(key, "oom")) { bad = parse_num(value, 10, &num); p->oom_score_adj = num; p->has_oom_score_adj = 1; }
    else if (!strcmp(key, "nnp")) p->no_new_privs = !strcmp(value, "1");
    else if (!strcmp(key, "caps")) p->has_caps = 1;
    else if (!strncmp(key, "cap.", 4)) bad = add_cap(p, key + 4, value);
    else if (!strcmp(key, "rlimit")) bad = add_rlimit(p, value);
    else bad = 1;
    if (bad) { snprintf(err, len, "exec plan: invalid %s `%.200s`", key, value); return -1; }
  }
  env[n_env] = NULL;
  args[n_args] = NULL;
  p->env = env;
  p->args = args;
  if (!p->init_pid || !n_args) { errno = 0; return fail(err, len, "exec plan: %s missing", !n_args ? "arg" : "pid"); }
  return 0;
}

static int open_ns(const struct exec_plan *p, const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)p->init_pid, name);
  return open(path, O_RDONLY | O_CLOEXEC);
}

int exec_plan_join_pid_ns(const struct exec_plan *p) {
  for (int i = 0; i < p->n_ns; i++) {
    if (strcmp(p->ns[i], "pid")) continue;
    int fd = open_ns(p, "pid");
    if (fd < 0) return -1;
    int r = setns(fd, CLONE_NEWPID);
    close(fd);
    return r;
  }
  return 0;
}

/* Moves this process into every cgroup the init is in (one line per hierarchy: v2 "0::/path"). */
static int join_cgroups(const struct exec_plan *p, char *err, size_t len) {
  char path[64], line[4096];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)p->init_pid);
  FILE *f = fopen(path, "re");
  if (!f) return fail(err, len, "%s", path);
  int rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = 0;
    const char *controllers = c1 + 1, *cgroup = c2 + 1;
    if (!strncmp(controllers, "name=", 5)) controllers += 5;
    char procs[4200];
    snprintf(procs, sizeof procs, "/sys/fs/cgroup%s%s%s/cgroup.procs", *controllers ? "/" : "", controllers, cgroup);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) continue; /* a hierarchy not mounted here (v2 beside v1) */
    if (fd < 0 || write(fd, "0", 1) != 1) rc = fail(err, len, "join cgroup %.400s", procs);
    if (fd >= 0) close(fd);
  }
  fclose(f);
  return rc;
}

/* Opens every namespace first (the init's /proc is reachable only from here), then joins them, mnt last. */
static int join_namespaces(const struct exec_plan *p, char *err, size_t len) {
  int fds[PLAN_MAX_NS], n = 0, mnt = -1;
  for (int i = 0; i < p->n_ns; i++) {
    if (!strcmp(p->ns[i], "pid")) continue; /* joined by the monitor before it forked */
    int fd = open_ns(p, p->ns[i]);
    if (fd < 0) return fail(err, len, "open namespace %s of the container's init", p->ns[i]);
    if (!strcmp(p->ns[i], "mnt")) mnt = fd;
    else fds[n++] = fd;
  }
  if (mnt >= 0) fds[n++] = mnt;
  for (int i = 0; i < n; i++) {
    if (setns(fds[i], 0) < 0) return fail(err, len, "%s", "setns");
    close(fds[i]);
  }
  return 0;
}

/*
 * The process's terminal, made inside the container (its own devpts, as crun makes it): the
 * master goes to the monitor over console_fd, the slave becomes the controlling terminal and
 * stdio of a new session.
 */
static int take_terminal(int console_fd, char *err, size_t len) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || unlockpt(master) < 0) return fail(err, len, "%s", "open the container's /dev/ptmx");
  char name[64];
  if (ptsname_r(master, name, sizeof name)) return fail(err, len, "%s", "ptsname");
  char byte = 0, control[CMSG_SPACE(sizeof(int))] = { 0 };
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &master, sizeof master);
  if (sendmsg(console_fd, &msg, 0) < 0) return fail(err, len, "%s", "send the pty master");
  close(master);
  close(console_fd);
  if (setsid() < 0) return fail(err, len, "%s", "setsid");
  int slave = open(name, O_RDWR);
  if (slave < 0) return fail(err, len, "open %.60s", name);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return fail(err, len, "%s", "TIOCSCTTY");
  for (int fd = 0; fd < 3; fd++) dup2(slave, fd);
  if (slave > 2) close(slave);
  return 0;
}

static int set_caps(const struct exec_plan *p, char *err, size_t len) {
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct data[2] = {
    { (uint32_t)p->cap_effective, (uint32_t)p->cap_permitted, (uint32_t)p->cap_inheritable },
    { (uint32_t)(p->cap_effective >> 32), (uint32_t)(p->cap_permitted >> 32), (uint32_t)(p->cap_inheritable >> 32) },
  };
  if (syscall(SYS_capset, &hdr, data) < 0) return fail(err, len, "%s", "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return fail(err, len, "%s", "clear ambient capabilities");
  for (int bit = 0; bit < 64; bit++) {
    if ((p->cap_ambient >> bit & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, bit, 0, 0) < 0)
      return fail(err, len, "raise ambient %s", CAP_NAMES[bit]);
  }
  return 0;
}

static int drop_bounding(const struct exec_plan *p, char *err, size_t len) {
  for (int bit = 0; bit < 64; bit++) {
    if (p->cap_bounding >> bit & 1) continue;
    if (prctl(PR_CAPBSET_DROP, bit, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      return fail(err, len, "drop %s from the bounding set", bit < N_CAPS ? CAP_NAMES[bit] : "a capability");
    }
  }
  return 0;
}

/* HOME from the container's /etc/passwd when the env has none (runc and crun both set it), else "/". */
static void default_home(const struct exec_plan *p) {
  if (getenv("HOME")) return;
  const char *home = "/";
  char line[1024];
  FILE *f = fopen("/etc/passwd", "re");
  while (f && fgets(line, sizeof line, f)) {
    char *field[7] = { 0 }, *s = line;
    for (int i = 0; i < 7 && s; i++) { field[i] = s; s = strchr(s, ':'); if (s) *s++ = 0; }
    if (field[5] && field[2] && strtoul(field[2], NULL, 10) == p->uid && *field[5]) { home = field[5]; break; }
  }
  setenv("HOME", home, 1);
  if (f) fclose(f);
}

/* execvp's words when the file is missing are crun's, so the agent maps them as it maps crun's. */
static void exec_args(const struct exec_plan *p, char *err, size_t len) {
  execvp(p->args[0], p->args);
  int saved = errno;
  if (saved == ENOENT || saved == EACCES) snprintf(err, len, "executable file `%s` not found in $PATH: %s", p->args[0], strerror(saved));
  else snprintf(err, len, "exec `%s`: %s", p->args[0], strerror(saved));
}

void exec_plan_run(const struct exec_plan *p, int console_fd, char *err, size_t len) {
  if (join_cgroups(p, err, len) || join_namespaces(p, err, len)) return;
  if (console_fd >= 0) {
    if (take_terminal(console_fd, err, len)) return;
  } else if (setsid() < 0) {
    fail(err, len, "%s", "setsid");
    return;
  }
  for (int i = 0; i < p->n_rlimits; i++) {
    if (setrlimit(p->rlimits[i].resource, &p->rlimits[i].limit) < 0) { fail(err, len, "%s", "setrlimit"); return; }
  }
  if (p->has_oom_score_adj) {
    FILE *f = fopen("/proc/self/oom_score_adj", "we");
    if (!f || fprintf(f, "%d", p->oom_score_adj) < 0 || fclose(f)) { fail(err, len, "%s", "oom_score_adj"); return; }
  }
  if (p->has_caps && drop_bounding(p, err, len)) return;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) { fail(err, len, "%s", "PR_SET_KEEPCAPS"); return; }
  /* A cwd the user may enter but root may not (root squash) is entered after the switch. */
  int cwd_done = chdir(p->cwd) == 0;
  if (setgroups(p->n_groups, p->groups) < 0) { fail(err, len, "%s", "setgroups"); return; }
  if (setresgid(p->gid, p->gid, p->gid) < 0) { fail(err, len, "%s", "setgid"); return; }
  if (setresuid(p->uid, p->uid, p->uid) < 0) { fail(err, len, "%s", "setuid"); return; }
  if (!cwd_done && chdir(p->cwd) < 0) { fail(err, len, "chdir to cwd `%.400s`", p->cwd); return; }
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (p->has_caps && set_caps(p, err, len)) return;
  if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { fail(err, len, "%s", "no_new_privs"); return; }
  if (p->has_umask) umask(p->umask);
  environ = p->env;
  default_home(p);
  /* Only stdio reaches the process (the monitor's fds are close-on-exec, inherited ones too). */
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  exec_args(p, err, len);
}
