// kata-init: PID 1 of the kata-ts guest. Mounts the kernel filesystems, loads the kernel
// modules listed in /etc/kata-modules (load order), switches to the root image when the kernel
// command line names one (`root=`), brings the loopback interface up, starts the agent, reaps
// orphans, forwards signals to the agent and powers the VM off when the agent exits. Built
// statically at image time by apps/image-builder; no shell is involved, so nothing else runs in
// the guest.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MODULE_LIST "/etc/kata-modules"
#define NODE "/usr/bin/node"
#define AGENT "/opt/kata-agent/kata-agent.mjs"

static char cmdline[4096];

static double uptime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(line, sizeof line, "kata-init: [%.3f] ", uptime());
  vsnprintf(line + n, sizeof line - n, fmt, ap);
  va_end(ap);
  dprintf(2, "%s\n", line);
}

static void mount_or_warn(const char *src, const char *target, const char *type, unsigned long flags, const char *data) {
  mkdir(target, 0755);
  if (mount(src, target, type, flags, data) != 0 && errno != EBUSY) say("mount %s on %s: %s", type, target, strerror(errno));
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) say("write %s: %s", path, strerror(errno));
  if (fd >= 0) close(fd);
}

// The initramfs root cannot be pivot_root'ed away from (crun needs pivot_root for containers),
// a bind mount of it can: move a bind of / over / and chroot into it. Costs no copying.
static void make_root_a_mount(void) {
  mkdir("/.root", 0700);
  if (mount("/", "/.root", NULL, MS_BIND | MS_REC, NULL) != 0 || chdir("/.root") != 0 ||
      mount(".", "/", NULL, MS_MOVE, NULL) != 0 || chroot(".") != 0 || chdir("/") != 0)
    say("rebinding / failed: %s", strerror(errno));
}

static void enable_cgroup_controllers(void) {
  char have[512] = "", want[600] = "";
  int fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, have, sizeof have - 1);
  close(fd);
  if (n <= 0) return;
  have[n] = 0;
  for (char *save = NULL, *c = strtok_r(have, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
    strcat(want, "+");
    strcat(want, c);
    strcat(want, " ");
  }
  write_file("/sys/fs/cgroup/cgroup.subtree_control", want);
}

// Module parameters given on the kernel command line as `module.param=value` (modprobe would do
// this; we have no modprobe). Dashes and underscores are the same in module names.
static void module_params(const char *module, char *out, size_t size) {
  char name[64];
  size_t len = strlen(module);
  if (len >= sizeof name) len = sizeof name - 1;
  for (size_t i = 0; i < len; i++) name[i] = module[i] == '-' ? '_' : module[i];
  name[len] = 0;
  out[0] = 0;
  char copy[sizeof cmdline];
  memcpy(copy, cmdline, sizeof copy);
  for (char *save = NULL, *w = strtok_r(copy, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
    if (strncmp(w, name, len) == 0 && w[len] == '.' && strlen(out) + strlen(w) + 2 < size) {
      strcat(out, w + len + 1);
      strcat(out, " ");
    }
  }
}

static void load_modules(void) {
  FILE *list = fopen(MODULE_LIST, "re");
  if (!list) return;
  char path[256], params[512];
  int loaded = 0;
  double start = uptime();
  while (fgets(path, sizeof path, list)) {
    path[strcspn(path, "\n")] = 0;
    if (!path[0]) continue;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char module[64];
    snprintf(module, sizeof module, "%.*s", (int)strcspn(base, "."), base);
    module_params(module, params, sizeof params);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (syscall(SYS_finit_module, fd, params, 0) != 0 && errno != EEXIST))
      say("module %s: %s", path, strerror(errno));
    else
      loaded++;
    if (fd >= 0) close(fd);
  }
  fclose(list);
  say("modules loaded: %d in %.3f s", loaded, uptime() - start);
}

// `lo` up, as every network namespace of a pod has it: one ioctl here, where the agent would
// spawn ip(8) on CreateSandbox (tens of ms under TCG, on every pod's start).
static void loopback_up(void) {
  struct ifreq ifr = { .ifr_name = "lo" };
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    say("lo: %s", strerror(errno));
  } else {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) say("lo up: %s", strerror(errno));
  }
  if (fd >= 0) close(fd);
}

// udev would make /dev/virtio-ports/<name>; there is no udev in the guest.
static void link_virtio_ports(void) {
  DIR *dir = opendir("/sys/class/virtio-ports");
  if (!dir) return;
  mkdir("/dev/virtio-ports", 0755);
  for (struct dirent *e; (e = readdir(dir));) {
    if (e->d_name[0] == '.') continue;
    char path[300], name[128] = "", target[300], link[400];
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, name, sizeof name - 1);
    close(fd);
    if (n <= 0) continue;
    name[strcspn(name, "\n")] = 0;
    if (!name[0] || strchr(name, '/')) continue;
    snprintf(target, sizeof target, "../%s", e->d_name);
    snprintf(link, sizeof link, "/dev/virtio-ports/%s", name);
    if (symlink(target, link) != 0 && errno != EEXIST) say("symlink %s: %s", link, strerror(errno));
  }
  closedir(dir);
}

static void read_cmdline(void) {
  int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
  close(fd);
  cmdline[n > 0 ? n : 0] = 0;
}

// The value of `key=` on the kernel command line, or NULL.
static const char *cmdline_value(const char *key, char *out, size_t size) {
  for (const char *p = strstr(cmdline, key); p; p = strstr(p + 1, key)) {
    if (p != cmdline && p[-1] != ' ') continue;
    p += strlen(key);
    snprintf(out, size, "%.*s", (int)strcspn(p, " \n"), p);
    return out;
  }
  return NULL;
}

// Empties the initramfs (its RAM is freed), staying on its filesystem: what switch_root does.
static void remove_tree(int dirfd, dev_t rootdev) {
  DIR *dir = fdopendir(dirfd);
  if (!dir) {
    close(dirfd);
    return;
  }
  for (struct dirent *e; (e = readdir(dir));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != rootdev) continue;
    if (S_ISDIR(st.st_mode)) {
      int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) remove_tree(fd, rootdev);
      unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
    } else {
      unlinkat(dirfd, e->d_name, 0);
    }
  }
  closedir(dir);
}

// Kata's image boot: the guest's root is a read-only ext4 on the DAX nvdimm (`root=/dev/pmem0
// rootfstype=ext4 rootflags=dax`), mapped from the host's page cache instead of copied into this
// VM's RAM. Mounts it, moves /dev /proc /sys onto it, frees the initramfs and makes it /.
static int switch_to_root_image(const char *device) {
  char fstype[16] = "ext4", flags[64] = "dax", target[64];
  cmdline_value("rootfstype=", fstype, sizeof fstype);
  cmdline_value("rootflags=", flags, sizeof flags);
  // nd_pmem probes asynchronously after its module loads; devtmpfs makes the node.
  for (int i = 0; access(device, F_OK) != 0; i++) {
    if (i == 1000) {
      say("root image %s did not appear in 10 s", device);
      return -1;
    }
    usleep(10000);
  }
  mkdir("/newroot", 0755);
  if (mount(device, "/newroot", fstype, MS_RDONLY | MS_NODEV, flags) != 0) {
    say("mount %s (%s, %s) on /newroot: %s", device, fstype, flags, strerror(errno));
    return -1;
  }
  static const char *const moved[] = {"/dev", "/proc", "/sys"};
  for (size_t i = 0; i < sizeof moved / sizeof *moved; i++) {
    snprintf(target, sizeof target, "/newroot%s", moved[i]);
    if (mount(moved[i], target, NULL, MS_MOVE, NULL) != 0) say("move %s: %s", moved[i], strerror(errno));
  }
  struct stat st;
  int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root >= 0 && fstat(root, &st) == 0) remove_tree(root, st.st_dev);
  else if (root >= 0) close(root);
  if (chdir("/newroot") != 0 || mount(".", "/", NULL, MS_MOVE, NULL) != 0 || chroot(".") != 0 || chdir("/") != 0) {
    say("switching to %s: %s", device, strerror(errno));
    return -1;
  }
  say("root: %s (%s, %s)", device, fstype, flags);
  return 0;
}

static pid_t start_agent(const sigset_t *original) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  sigprocmask(SIG_SETMASK, original, NULL);
  setsid();
  // `agent.log=<level>` (Kata's spelling) sets the agent's log level; `agent.node_options=a,b`
  // passes V8/Node flags (boot-time tuning lives in @kata-ts/hypervisor's guestKernelParams).
  char level[32], level_env[64] = "KATA_TS_LOG_LEVEL=info", options[256];
  if (cmdline_value("agent.log=", level, sizeof level)) snprintf(level_env, sizeof level_env, "KATA_TS_LOG_LEVEL=%s", level);
  char *argv[16] = {NODE};
  int argc = 1;
  if (cmdline_value("agent.node_options=", options, sizeof options))
    for (char *save = NULL, *o = strtok_r(options, ",", &save); o && argc < 12; o = strtok_r(NULL, ",", &save)) argv[argc++] = o;
  argv[argc++] = AGENT;
  argv[argc++] = "--guest";
  argv[argc] = NULL;
  char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", level_env, NULL};
  execve(NODE, argv, envp);
  say("exec %s: %s", NODE, strerror(errno));
  _exit(127);
}

static void power_off(void) {
  sync();
  // ACPI powers a PC off; without ACPI (microvm) a reset makes QEMU exit (-no-reboot).
  if (access("/sys/firmware/acpi", F_OK) == 0) reboot(RB_POWER_OFF);
  reboot(RB_AUTOBOOT);
  for (;;) pause();
}

int main(void) {
  if (getpid() != 1) {
    fprintf(stderr, "kata-init must run as PID 1\n");
    return 2;
  }
  sigset_t all, original;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &original);

  mount_or_warn("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_warn("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_warn("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  read_cmdline();
  load_modules();
  char root[64];
  if (!cmdline_value("root=", root, sizeof root)) {
    make_root_a_mount();
  } else if (switch_to_root_image(root) != 0) {
    say("cannot start without the root image; powering off");
    power_off();
  }
  mount_or_warn("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666");
  mount_or_warn("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_or_warn("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  mount_or_warn("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_or_warn("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate");
  enable_cgroup_controllers();
  link_virtio_ports();
  loopback_up();

  pid_t agent = start_agent(&original);
  say("agent started: pid %d", agent);

  for (;;) {
    siginfo_t info;
    if (sigwaitinfo(&all, &info) < 0) continue;
    if (info.si_signo != SIGCHLD) {
      if (agent > 0) kill(agent, info.si_signo);
      continue;
    }
    for (pid_t pid; (pid = waitpid(-1, NULL, WNOHANG)) > 0;) {
      if (pid != agent) continue;
      say("agent exited; powering off");
      power_off();
    }
  }
}
