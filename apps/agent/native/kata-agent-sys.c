/*
 * kata-agent-sys: the few system calls the agent needs and Node lacks, for a guest that has no
 * mount(8), ip(8) or date(1). One operation per run:
 *   kata-agent-sys mount FSTYPE SOURCE TARGET [OPTIONS]   (options as in fstab: ro,nosuid,bind,size=1m)
 *   kata-agent-sys umount TARGET                          (lazy when busy)
 *   kata-agent-sys settime SECONDS MICROSECONDS
 *   kata-agent-sys ifup NAME                              (sets IFF_UP, e.g. lo)
 * Exit 0 on success; otherwise the error on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/time.h>
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

static int do_ifup(const char *name) {
  struct ifreq ifr = {0};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket", name);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return fail("SIOCGIFFLAGS", name);
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) return fail("SIOCSIFFLAGS", name);
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
  if (strcmp(op, "ifup") == 0 && argc == 3) return do_ifup(argv[2]);
  fprintf(stderr, "usage: kata-agent-sys mount FSTYPE SOURCE TARGET [OPTIONS] | umount TARGET | settime SEC USEC | ifup NAME\n");
  return 2;
}
