/*
 * kata-agent-monitor: one per container process (init or exec), a small conmon.
 *
 * Node cannot be a subreaper, wait for a process that is not its child, or receive a pty
 * master over SCM_RIGHTS, so this helper does exactly that and nothing else:
 *   - becomes a child subreaper, so the process crun creates (crun create / crun exec -d)
 *     is re-parented here and its real exit status can be collected; or, given an exec plan
 *     (-x, exec-plan.c), forks the process into the running container itself, without crun;
 *   - creates the stdio FIFOs; the process gets real pipes (not sockets), the agent opens
 *     the other ends; with a terminal it receives the pty master from crun's
 *     --console-socket and copies between the FIFOs and the master;
 *   - talks to the agent over fd 3, one line per message:
 *       monitor -> agent: "ready" | "pid <n>" | "exit <status>" | "fail <crun exit code>"
 *                         | "error <why the monitor itself failed>"
 *       agent -> monitor: "go" | "winsz <rows> <cols>"
 *     The exit status is already containerd's: the exit code, or 128 + signal.
 *
 * usage: kata-agent-monitor -i STDIN -o STDOUT -e STDERR -p PIDFILE [-c CONSOLE_SOCKET]
 *                           { -- crun ARGS... | -x EXEC_PLAN -l LOG }
 * With -x, a process that cannot be started leaves its reason in LOG (as crun leaves its own).
 *
 *        kata-agent-monitor --launcher SOCKET
 * The agent starts one launcher and asks it for each monitor: a fork of this small process
 * costs little, a spawn from Node forks the whole agent (25-55 ms per process under TCG). On
 * stdin, requests of NUL-terminated fields ending with an empty one: a token, then the
 * monitor's arguments. Each monitor connects to the agent's SOCKET, says "hello <token>" and
 * uses the connection as its fd 3. The launcher exits when its stdin closes (the agent is gone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "exec-plan.h"

#define CTL_FD 3
#define BUF_SIZE 65536
#define EARLY_MAX 64
#define DRAIN_QUIET_MS 100
#define DRAIN_STALL_MS 5000
/* The stdin FIFO holds 1 MiB, not the default 64 KiB: the agent writing stdin then waits for the
 * process 16 times less often, and each of those waits is a switch between the two, slow in a TCG
 * guest. stdout and stderr keep 64 KiB: a process nobody reads blocks about where it would under
 * runc, and a larger pipe did not make stdout faster. The pipe is the FIFO's, whoever opens it. */
#define STDIN_FIFO_SIZE (1 << 20)

struct copy { int from, to; size_t len, off; int eof; char buf[BUF_SIZE]; };

static void send_ctl(const char *fmt, ...) {
  char line[640];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* The agent may be gone; the process must still be reaped, so ignore errors. */
  if (write(CTL_FD, line, n) < 0) { /* nothing to do */ }
}

/* The monitor cannot go on: the agent hears why (an "error" line), then the exit. */
static void die(const char *fmt, ...) {
  char why[512];
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  fprintf(stderr, "kata-agent-monitor: %s: %s\n", why, strerror(saved));
  send_ctl("error %s: %s\n", why, strerror(saved));
  exit(125);
}

static int open_fifo(const char *path, int flags) {
  if (mkfifo(path, 0600) < 0 && errno != EEXIST) die("mkfifo %s", path);
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) die("open %s", path);
  return fd;
}

static int set_blocking(int fd, int blocking) {
  int fl = fcntl(fd, F_GETFL);
  return fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

/* The address of a unix socket at `path`; -1 with ENAMETOOLONG when it does not fit. */
static int unix_address(const char *path, struct sockaddr_un *addr) {
  *addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof addr->sun_path) { errno = ENAMETOOLONG; return -1; }
  strcpy(addr->sun_path, path);
  return 0;
}

/* A close-on-exec connection to the unix socket at `path`, or -1 with errno. */
static int unix_connect(const char *path) {
  struct sockaddr_un addr;
  if (unix_address(path, &addr) < 0) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

static int console_listen(const char *path) {
  struct sockaddr_un addr;
  if (unix_address(path, &addr) < 0) die("console socket %s", path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1) < 0)
    die("console socket %s", path);
  return fd;
}

/*
 * crun sends the pty master as SCM_RIGHTS on a connection to the console socket. -1 when it
 * sent none (crun failed; its exit status tells the agent why).
 */
static int console_receive(int listen_fd) {
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  char data[256], control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  close(conn);
  struct cmsghdr *cmsg = n < 0 ? NULL : CMSG_FIRSTHDR(&msg);
  if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return fd;
}

/* One step of a copy: read when the buffer is empty, write what is buffered. */
static void copy_step(struct copy *c, short revents, int is_write_side) {
  if (!is_write_side && c->len == 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = read(c->from, c->buf, sizeof c->buf);
    if (n > 0) { c->len = n; c->off = 0; }
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) c->eof = 1; /* EIO: pty slave closed */
  } else if (is_write_side && c->len > 0 && (revents & (POLLOUT | POLLERR | POLLHUP))) {
    ssize_t n = write(c->to, c->buf + c->off, c->len - c->off);
    if (n > 0) { c->off += n; if (c->off == c->len) c->len = c->off = 0; }
    else if (n < 0 && errno != EAGAIN && errno != EINTR) { c->eof = 1; c->len = 0; }
  }
}

/*
 * After the process exits, move what is left in the pty to the stdout FIFO. The pty hands
 * output over asynchronously, so wait briefly for more; stop at EIO (no slave left) or when
 * nothing came for DRAIN_QUIET_MS (a background process may keep the slave open forever).
 * The FIFO may stay full (nobody reads the output): after DRAIN_STALL_MS without room the rest
 * is dropped, so the exit is never held by a reader.
 */
static void drain(struct copy *c) {
  for (;;) {
    if (c->len == 0) {
      struct pollfd p = { .fd = c->from, .events = POLLIN };
      if (poll(&p, 1, DRAIN_QUIET_MS) <= 0) return;
      ssize_t n = read(c->from, c->buf, sizeof c->buf);
      if (n <= 0) return;
      c->len = n;
      c->off = 0;
    }
    struct pollfd w = { .fd = c->to, .events = POLLOUT };
    if (poll(&w, 1, DRAIN_STALL_MS) <= 0) return;
    ssize_t n = write(c->to, c->buf + c->off, c->len - c->off);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;
    c->off += n;
    if (c->off == c->len) c->len = c->off = 0;
  }
}

static void apply_winsz(int master, unsigned rows, unsigned cols) {
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  if (master >= 0) ioctl(master, TIOCSWINSZ, &ws);
}

static int status_of(int wstatus) {
  return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
}

/* What a forked child starts with: stdio (the FIFOs; /dev/null where -1, until a pty takes over) and no blocked signals. */
struct child_stdio { int in, out, err; const sigset_t *mask; };

static void become_child(const struct child_stdio *s) {
  int null_fd = open("/dev/null", O_RDWR);
  dup2(s->in >= 0 ? s->in : null_fd, 0);
  dup2(s->out >= 0 ? s->out : null_fd, 1);
  dup2(s->err >= 0 ? s->err : null_fd, 2);
  if (null_fd > 2) close(null_fd);
  sigprocmask(SIG_UNBLOCK, s->mask, NULL);
  signal(SIGPIPE, SIG_DFL);
}

/*
 * Forks the planned process into the container (exec-plan.c). Returns its pid once it has
 * exec'd, or -1 once it has failed, its reason written to `log`.
 */
static pid_t start_planned(const struct exec_plan *plan, const char *console, const char *log, const struct child_stdio *stdio) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) die("pipe");
  if (exec_plan_join_pid_ns(plan) < 0) die("join the pid namespace of %d", (int)plan->init_pid);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    become_child(stdio);
    char err[1024] = "";
    int console_fd = -1;
    /* Connected before the child leaves the agent's mount namespace, where the socket is. */
    if (console && (console_fd = unix_connect(console)) < 0)
      snprintf(err, sizeof err, "connect to the console socket: %s", strerror(errno));
    if (!*err) exec_plan_run(plan, console_fd, err, sizeof err);
    if (write(report[1], err, strlen(err)) < 0) { /* the monitor sees an exit without a pid */ }
    _exit(127);
  }
  close(report[1]);
  char err[1024];
  ssize_t n = read(report[0], err, sizeof err - 1);
  close(report[0]);
  if (n <= 0) return pid; /* closed on exec */
  err[n] = 0;
  FILE *f = fopen(log, "we");
  if (f) { fprintf(f, "%s\n", err); fclose(f); }
  waitpid(pid, NULL, 0);
  return -1;
}

static pid_t read_pidfile(const char *path) {
  FILE *f = fopen(path, "re");
  long pid = 0;
  if (!f || fscanf(f, "%ld", &pid) != 1) pid = 0;
  if (f) fclose(f);
  return (pid_t)pid;
}

static int monitor_main(int argc, char **argv) {
  const char *in_path = NULL, *out_path = NULL, *err_path = NULL, *pidfile = NULL, *console = NULL;
  const char *plan_path = NULL, *log = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "+i:o:e:p:c:x:l:")) != -1) {
    switch (opt) {
      case 'i': in_path = optarg; break;
      case 'o': out_path = optarg; break;
      case 'e': err_path = optarg; break;
      case 'p': pidfile = optarg; break;
      case 'c': console = optarg; break;
      case 'x': plan_path = optarg; break;
      case 'l': log = optarg; break;
      default: return 125;
    }
  }
  if (!in_path || !out_path || !err_path || !pidfile || (plan_path ? !log : optind >= argc)) {
    errno = EINVAL;
    die("usage: kata-agent-monitor -i F -o F -e F -p F [-c SOCK] { -- crun ARGS... | -x PLAN -l LOG }");
  }
  struct exec_plan plan;
  char plan_err[512];
  if (plan_path && exec_plan_read(plan_path, &plan, plan_err, sizeof plan_err) < 0) {
    errno = EINVAL;
    die("%s", plan_err);
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("PR_SET_CHILD_SUBREAPER");
  fcntl(CTL_FD, F_SETFD, FD_CLOEXEC);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  signal(SIGPIPE, SIG_IGN);

  /* Opening the read end first (non-blocking) lets the agent open the write end. */
  int in_fd = open_fifo(in_path, O_RDONLY | O_NONBLOCK);
  if (fcntl(in_fd, F_SETPIPE_SZ, STDIN_FIFO_SIZE) < 0) { /* the default size still works */ }
  if (mkfifo(out_path, 0600) < 0 && errno != EEXIST) die("mkfifo %s", out_path);
  if (mkfifo(err_path, 0600) < 0 && errno != EEXIST) die("mkfifo %s", err_path);
  int listen_fd = console ? console_listen(console) : -1;
  send_ctl("ready\n");

  char ctl[256];
  size_t ctl_len = 0;
  unsigned rows = 0, cols = 0;
  for (;;) { /* wait for "go": the agent has opened its FIFO ends */
    ssize_t n = read(CTL_FD, ctl + ctl_len, sizeof ctl - 1 - ctl_len);
    if (n <= 0) return 125;
    ctl_len += n;
    ctl[ctl_len] = 0;
    char *nl = strchr(ctl, '\n');
    if (!nl) continue;
    ctl_len -= nl + 1 - ctl;
    memmove(ctl, nl + 1, ctl_len);
    break;
  }
  set_blocking(in_fd, !console);
  int out_fd = open_fifo(out_path, O_WRONLY);
  int err_fd = console ? -1 : open_fifo(err_path, O_WRONLY);

  struct child_stdio stdio = { console ? -1 : in_fd, console ? -1 : out_fd, console ? -1 : err_fd, &mask };
  pid_t crun = 0, target = 0;
  if (plan_path) {
    target = start_planned(&plan, console, log, &stdio);
    if (target < 0) { send_ctl("fail 127\n"); return 0; }
    send_ctl("pid %d\n", (int)target);
  } else {
    crun = fork();
    if (crun < 0) die("fork");
    if (crun == 0) {
      become_child(&stdio);
      execvp(argv[optind], argv + optind);
      _exit(127);
    }
  }
  if (!console) { close(in_fd); close(out_fd); close(err_fd); in_fd = out_fd = -1; }

  struct copy *to_pty = calloc(1, sizeof *to_pty), *from_pty = calloc(1, sizeof *from_pty);
  int master = -1, ctl_open = 1;
  int target_status = -1;
  struct { pid_t pid; int status; } early[EARLY_MAX];
  int n_early = 0;
  for (;;) {
    struct pollfd p[6];
    int np = 0, i_sig = np++, i_ctl = -1, i_lis = -1, i_in = -1, i_m = -1, i_out = -1;
    p[i_sig] = (struct pollfd){ .fd = sfd, .events = POLLIN };
    if (ctl_open) { i_ctl = np; p[np++] = (struct pollfd){ .fd = CTL_FD, .events = POLLIN }; }
    if (listen_fd >= 0) { i_lis = np; p[np++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN }; }
    if (master >= 0) {
      short mev = (from_pty->len == 0 && !from_pty->eof ? POLLIN : 0) | (to_pty->len ? POLLOUT : 0);
      i_m = np; p[np++] = (struct pollfd){ .fd = master, .events = mev };
      if (!to_pty->eof && to_pty->len == 0) { i_in = np; p[np++] = (struct pollfd){ .fd = in_fd, .events = POLLIN }; }
      if (from_pty->len) { i_out = np; p[np++] = (struct pollfd){ .fd = out_fd, .events = POLLOUT }; }
    }
    if (poll(p, np, -1) < 0 && errno != EINTR) die("poll");

    if (i_ctl >= 0 && p[i_ctl].revents) {
      ssize_t n = read(CTL_FD, ctl + ctl_len, sizeof ctl - 1 - ctl_len);
      if (n <= 0) ctl_open = 0;
      else ctl_len += n;
      ctl[ctl_len] = 0;
      char *line = ctl, *nl;
      while ((nl = strchr(line, '\n'))) {
        *nl = 0;
        if (sscanf(line, "winsz %u %u", &rows, &cols) == 2) apply_winsz(master, rows, cols);
        line = nl + 1;
      }
      ctl_len -= line - ctl;
      memmove(ctl, line, ctl_len);
      if (ctl_len == sizeof ctl - 1) ctl_len = 0; /* garbage: drop it */
    }
    if (i_lis >= 0 && p[i_lis].revents) {
      master = console_receive(listen_fd);
      close(listen_fd);
      listen_fd = -1;
      unlink(console);
      if (master < 0) continue;
      set_blocking(master, 0);
      set_blocking(out_fd, 0);
      to_pty->from = in_fd; to_pty->to = master;
      from_pty->from = master; from_pty->to = out_fd;
      if (rows || cols) apply_winsz(master, rows, cols);
    }
    if (i_m >= 0) {
      copy_step(from_pty, p[i_m].revents, 0);
      copy_step(to_pty, p[i_m].revents, 1);
    }
    if (i_in >= 0) copy_step(to_pty, p[i_in].revents, 0);
    if (i_out >= 0) copy_step(from_pty, p[i_out].revents, 1);

    if (p[i_sig].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      int wstatus;
      pid_t pid;
      while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
        if (pid == crun) {
          if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
            send_ctl("fail %d\n", status_of(wstatus));
            return 0;
          }
          target = read_pidfile(pidfile);
          if (target <= 0) { send_ctl("fail 125\n"); return 0; }
          send_ctl("pid %d\n", (int)target);
        } else if (pid == target) {
          target_status = status_of(wstatus);
        } else if (target == 0 && n_early < EARLY_MAX) {
          /* Reaped before crun wrote the pid file: remember it in case it is ours. */
          early[n_early].pid = pid;
          early[n_early++].status = status_of(wstatus);
        }
      }
      for (int k = 0; target > 0 && target_status < 0 && k < n_early; k++)
        if (early[k].pid == target) target_status = early[k].status;
      if (target > 0 && target_status >= 0) {
        if (master >= 0) drain(from_pty);
        send_ctl("exit %d\n", target_status);
        return 0;
      }
    }
  }
}

/* A launched monitor: its fd 3 is a connection to the agent's socket, announced by its token. */
static int launched(const char *socket_path, char **fields) {
  signal(SIGCHLD, SIG_DFL); /* the launcher's SIG_IGN would reap the monitor's own children */
  int null_fd = open("/dev/null", O_RDONLY);
  dup2(null_fd, 0); /* not the launcher's request pipe */
  if (null_fd > 2) close(null_fd);
  int conn = unix_connect(socket_path);
  if (conn < 0) {
    fprintf(stderr, "kata-agent-monitor: connect to %s: %s\n", socket_path, strerror(errno));
    return 125;
  }
  if (conn != CTL_FD) { dup2(conn, CTL_FD); close(conn); } /* monitor_main marks fd 3 close-on-exec */
  send_ctl("hello %s\n", fields[0]);
  setsid();
  int argc = 0;
  while (fields[argc + 1]) argc++;
  fields[0] = "kata-agent-monitor";
  optind = 1;
  return monitor_main(argc + 1, fields);
}

static int launcher(const char *socket_path) {
  signal(SIGCHLD, SIG_IGN); /* monitors are reaped as they end; their processes are theirs */
  static char buf[1 << 16];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(0, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    len += n;
    /* Each complete request: fields up to an empty one. */
    for (;;) {
      char *fields[256];
      int nf = 0;
      size_t off = 0;
      int complete = 0;
      while (off < len) {
        char *end = memchr(buf + off, 0, len - off);
        if (!end) break;
        if (end == buf + off) { off++; complete = 1; break; }
        if (nf < 255) fields[nf++] = buf + off;
        off = end - buf + 1;
      }
      if (!complete) break;
      fields[nf] = NULL;
      if (nf > 0) {
        pid_t pid = fork();
        if (pid == 0) _exit(launched(socket_path, fields));
        if (pid < 0) fprintf(stderr, "kata-agent-monitor: fork for request %s: %s\n", fields[0], strerror(errno));
      }
      memmove(buf, buf + off, len - off);
      len -= off;
    }
    if (len == sizeof buf) len = 0; /* a request larger than the buffer: garbage, dropped */
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--launcher")) return launcher(argv[2]);
  return monitor_main(argc, argv);
}
